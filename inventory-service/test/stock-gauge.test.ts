// The stock gauge through the real bootstrap with an in-memory reader: the SDK starts before the service's modules
// load, as --require makes it in production, so the gauge is registered with this reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import { readSettings, startTelemetry } from '@ostack/telemetry/sdk';
import { inMemoryTelemetry } from '@ostack/test-support/in-memory-telemetry';
import { tempDb } from '@ostack/test-support/net';
import type * as AppModule from '@ostack/inventory-service/app';

const { reader, sdkOptions } = inMemoryTelemetry();
const telemetry = startTelemetry(sdkOptions, readSettings({ OTEL_SERVICE_NAME: 'stock-gauge-test' }));
let app: typeof AppModule;
let service: () => AppModule.InventoryService;

beforeAll(async () => {
  app = await import('@ostack/inventory-service/app');
  const { readConfig } = await import('@ostack/inventory-service/config');
  const { createLogger } = await import('@ostack/telemetry');
  const logger = createLogger('stock-gauge-test', 'error');
  service = () => app.buildInventoryService(readConfig({ DATABASE_PATH: tempDb('inventory') }), logger, 'test');
});
afterAll(() => telemetry.shutdown());

/** What one collection reports of inventory.stock, as product name -> units, and the collection's errors. */
async function stock() {
  const { resourceMetrics, errors } = await reader.collect();
  const points = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === 'inventory.stock')
    .flatMap((m) => m.dataPoints as DataPoint<number>[]);
  return { units: Object.fromEntries(points.map((p) => [p.attributes['product.name'], p.value])), errors };
}

describe('inventory.stock', () => {
  it('of two apps in one process, a closed one no longer reports; closing both leaves no callback', async () => {
    const first = service();
    const second = service();
    await first.store.reduceStock(2, 5); // Smartphone: 19 in the first, 24 in the second
    expect((await stock()).errors).toEqual([]);

    await first.close();
    const afterFirst = await stock();
    expect(afterFirst.errors).toEqual([]); // no callback left reading the closed store
    expect(afterFirst.units).toMatchObject({ Smartphone: 24, Laptop: 8 });

    await second.store.reduceStock(1, 3);
    expect((await stock()).units).toMatchObject({ Smartphone: 24, Laptop: 5 });
    await second.close();
    expect((await stock()).errors).toEqual([]);
  });
});
