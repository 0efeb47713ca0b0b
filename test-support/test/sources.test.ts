// The stale-build trap, closed on both sides: a workspace package imported by name in a test is its source, and
// dist/ (what Node itself runs: spawned services, --require, the instrumented tests) is compiled from the current
// source before any test starts (the projects' globalSetup, build-dist.ts).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_WORKSPACES, ROOT } from '../src/build-dist';

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

  it('dist/ is up to date with src/ for every built workspace (tsc -b --dry)', () => {
    const tsc = createRequire(__filename).resolve('typescript/bin/tsc');
    const out = execFileSync(process.execPath, [tsc, '-b', '--dry', ...BUILT_WORKSPACES], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const projects = out.split('\n').filter((line) => /project '/i.test(line));
    expect(projects).toHaveLength(BUILT_WORKSPACES.length);
    for (const line of projects) expect(line).toMatch(/is up to date$/);
  });
});
