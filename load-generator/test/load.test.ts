import { describe, expect, it } from 'vitest';
import { buildInventoryService } from '@ostack/inventory-service/app';
import { readConfig as inventoryConfig } from '@ostack/inventory-service/config';
import { buildOrderService } from '@ostack/order-service/app';
import { readConfig as orderConfig } from '@ostack/order-service/config';
import { createLogger } from '@ostack/telemetry';
import { listen, tempDb } from '@ostack/test-support/net';
import { readConfig } from '../src/config';
import { LoadGenerator } from '../src/generator';
import { choose, demoMix, restockPlan } from '../src/mix';

const logger = createLogger('load-test', 'error');

describe('the demo mix', () => {
  it('draws each action about as often as its weight says', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const mix = demoMix(random);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) {
      const name = choose(mix, random).name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    const total = mix.reduce((s, a) => s + a.weight, 0);
    for (const a of mix) expect(counts[a.name]! / 20_000).toBeCloseTo(a.weight / total, 1);
  });

  it('restocks only products under the threshold, back to the target', () => {
    expect(
      restockPlan(
        [
          { id: 1, stock: 2 },
          { id: 2, stock: 9 },
          { id: 3, stock: 0 },
        ],
        5,
        40,
      ),
    ).toEqual([
      { product_id: 1, quantity: 38 },
      { product_id: 3, quantity: 40 },
    ]);
  });
});

describe('against both services', () => {
  it('produces successes and each kind of failure, and keeps stock from running dry', async () => {
    const inventory = buildInventoryService(inventoryConfig({ DATABASE_PATH: tempDb('inventory') }), logger, 't');
    const invHttp = await listen(inventory.app);
    const invUrl = invHttp.url;
    const orders = buildOrderService(
      orderConfig({ DATABASE_PATH: tempDb('orders'), INVENTORY_SERVICE_URL: invUrl }),
      logger,
      't',
    );
    const ordHttp = await listen(orders.app);
    const ordUrl = ordHttp.url;

    const generator = new LoadGenerator(
      readConfig({
        ORDER_SERVICE_URL: ordUrl,
        INVENTORY_SERVICE_URL: invUrl,
        LOAD_RPS: '100',
        LOAD_RESTOCK_INTERVAL_S: '0.2',
      }),
      logger,
    );
    generator.start();
    // Count-based, not time-based: a loaded machine only makes it take longer.
    while (generator.stats.sent < 300) await new Promise((r) => setTimeout(r, 100));
    const stats = await generator.stop();

    expect(stats.byStatus['200']).toBeGreaterThan(0); // listings
    expect(stats.byStatus['201']).toBeGreaterThan(0); // orders
    expect(stats.byStatus['404']).toBeGreaterThan(0); // unknown products
    expect(stats.byStatus['409']).toBeGreaterThan(0); // out of stock
    expect(stats.byStatus['500'] ?? 0).toBe(0);
    expect(stats.restocked).toBeGreaterThan(0);
    // More units were sold than the seed stock holds (127): restocking kept orders succeeding.
    const confirmed = await fetch(`${ordUrl}/list-orders?limit=1000`).then(
      (r) => r.json() as Promise<{ orders: { quantity: number }[] }>,
    );
    expect(confirmed.orders.reduce((units, o) => units + o.quantity, 0)).toBeGreaterThan(127);

    await Promise.all([invHttp.close(), ordHttp.close()]);
    await inventory.close();
    await orders.close();
  }, 120_000);
});
