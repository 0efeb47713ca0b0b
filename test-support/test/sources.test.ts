// A workspace package imported by name in a test is its source (the aliases of vitest.config.mts, from each
// package's "@ostack/source" export condition), never a dist/ that may be older.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

// Each package specifier the tests import, and the source file (from the repo root) it must be.
const SOURCES: [string, string][] = [
  ['@ostack/telemetry', 'telemetry/src/index.ts'],
  ['@ostack/telemetry/sdk', 'telemetry/src/sdk.ts'],
  ['@ostack/service-kit', 'service-kit/src/index.ts'],
  ['@ostack/inventory-service/app', 'inventory-service/src/app.ts'],
  ['@ostack/inventory-service/config', 'inventory-service/src/config.ts'],
  ['@ostack/inventory-service/store', 'inventory-service/src/store.ts'],
  ['@ostack/order-service/app', 'order-service/src/app.ts'],
  ['@ostack/order-service/config', 'order-service/src/config.ts'],
];

describe('tests run the source they sit beside', () => {
  it.each(SOURCES)('%s is %s, the very module', async (specifier, source) => {
    const bySource: Record<string, unknown> = await import(join(ROOT, source));
    const byName: Record<string, unknown> = await import(specifier);
    // The same module instance: every export is the very same value.
    expect(Object.keys(byName).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(bySource)) expect(byName[name], name).toBe(value);
  });
});
