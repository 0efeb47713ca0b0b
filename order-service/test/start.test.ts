import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOrderService } from '../src/app';
import { readConfig } from '../src/config';
import { SqliteOrderStore } from '../src/sqlite-store';
import { startOrderService } from '../src/start';
import { inventoryService, listen, quietLogger, tempDb } from './harness';
import { HeldCalls, InventoryGate } from './inventory-gate';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

/** inventory-service behind a gate that holds every /reduce-stock, and a database with one old pending order. */
async function world() {
  const inventory = inventoryService();
  const inventoryHttp = await listen(inventory.app);
  const held = new HeldCalls();
  const gate = await InventoryGate.start(inventoryHttp.url, held);
  cleanup.push(
    () => inventory.close(),
    () => inventoryHttp.close(),
    () => gate.close(),
    () => held.open(),
  );
  const path = tempDb('orders');
  const seed = new SqliteOrderStore(path);
  await seed.claim({ idempotency_key: 'left-pending', username: 'u', product_id: 1, quantity: 1 });
  await seed.close();
  await new Promise((resolve) => setTimeout(resolve, 50)); // older than the reconciler's grace (2 x 10 ms)
  const config = (port: number) =>
    readConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: path,
      INVENTORY_SERVICE_URL: gate.url,
      INVENTORY_TIMEOUT_MS: '10',
      RECONCILE_INTERVAL_MS: '100',
    });
  return { held, config };
}

describe('startOrderService', () => {
  it('starts the reconciler once it listens: the pending order is retried', async () => {
    const { held, config } = await world();
    const service = buildOrderService(config(0), quietLogger, 'test');
    const server = await startOrderService(service, config(0), quietLogger);
    cleanup.push(
      () => service.close(),
      () => new Promise((resolve) => server.close(resolve)),
    );
    await held.arrived(1);
  });

  it('a process that cannot listen (its port taken) retries no pending order', async () => {
    const { held, config } = await world();
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    cleanup.push(() => new Promise((resolve) => taken.close(resolve)));
    const { port } = taken.address() as AddressInfo;
    const service = buildOrderService(config(port), quietLogger, 'test');
    cleanup.push(() => service.close());
    await expect(startOrderService(service, config(port), quietLogger)).rejects.toThrow(/EADDRINUSE/);
    // The reconciler's first pass would call inventory-service at once; wait well past its interval too.
    await expect(held.arrived(1, 500)).rejects.toThrow(/0 calls reached the gate/);
  });
});
