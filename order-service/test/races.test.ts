// The two races of one idempotency key, each played in a fixed order through a gate (a stand-in for the network,
// in front of the real inventory-service) that holds every call to /reduce-stock until the test lets it through:
// the first outcome decided for a key is the only one any client, retry or reconciler ever gets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InventoryService } from '@ostack/inventory-service/app';
import { eachBackend } from '@ostack/test-support/backends';
import type { OrderService } from '../src/app';
import type { Order } from '../src/store';
import { inventoryService, listen, type Listening, orderService } from './harness';
import { HeldCalls, InventoryGate } from './inventory-gate';
import { type Answer, disagreements } from './outcomes';

const ORDER = { username: 'ann', product_id: 1, quantity: 1 };

eachBackend((backend) => {
  let inventory: InventoryService;
  let inventoryHttp: Listening;
  let held: HeldCalls;
  let gate: InventoryGate;
  let orders: OrderService;
  let ordersHttp: Listening;

  async function start(env: Record<string, string> = {}): Promise<void> {
    orders = orderService(gate.url, { ...(await backend.database('orders')), ...env });
    await orders.store.ready;
    ordersHttp = await listen(orders.app);
  }

  beforeEach(async () => {
    inventory = inventoryService(await backend.database('inventory'));
    await inventory.store.ready;
    inventoryHttp = await listen(inventory.app);
    held = new HeldCalls();
    gate = await InventoryGate.start(inventoryHttp.url, held);
    // Product 1 sold out: a stock check now says no, until a restock.
    await inventoryPost('/reduce-stock', { product_id: 1, quantity: 8 });
  });
  afterEach(async () => {
    held.open();
    await ordersHttp.close();
    await gate.close();
    await inventoryHttp.close();
    await orders.close();
    await inventory.close();
  });

  async function inventoryPost(path: string, body: object): Promise<void> {
    const res = await fetch(`${inventoryHttp.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  }
  const restock = (quantity: number) => inventoryPost('/restock', { product_id: 1, quantity });

  async function place(key: string): Promise<{ key: string; answer: Answer }> {
    const res = await fetch(`${ordersHttp.url}/order-product`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(ORDER),
    });
    return { key, answer: { status: res.status, body: (await res.json()) as Answer['body'] } };
  }

  const stored = (key: string): Promise<Order | undefined> => orders.store.findByKey(key);
  const stock = async () => (await inventory.store.getProduct(1))!.stock;

  /** The outcome inventory-service gave each time it was asked for the key, as "200" or "409 insufficient_stock". */
  const inventoryOutcomes = (key: string) =>
    (gate.replies.get(key) ?? []).map((r) => `${r.status}${r.body.error ? ` ${r.body.error.code}` : ''}`);

  /** Stock taken for the key, as the order says: its quantity when confirmed, else nothing. */
  async function expectStockFollowsOrder(key: string, stockBefore: number): Promise<void> {
    const order = (await stored(key))!;
    expect(await stock(), `order ${order.status}`).toBe(
      stockBefore - (order.status === 'confirmed' ? order.quantity : 0),
    );
  }

  describe('one outcome per idempotency key, whatever races', () => {
    it('two requests with one key in flight, a restock between their checks: both get the first outcome', async () => {
      await start();
      const a = place('k');
      await held.arrived(1);
      const b = place('k'); // finds the order pending and asks inventory-service too
      await held.arrived(2);
      await held.release(0); // sold out: no
      const first = await a;
      await restock(1);
      await held.release(1); // the same key, now with stock
      const second = await b;
      held.open();
      const resend = await place('k');

      expect(await disagreements([first, second, resend], stored)).toEqual([]);
      expect([first, second, resend].map((r) => r.answer.status)).toEqual([409, 409, 409]);
      expect(inventoryOutcomes('k')).toEqual(['409 insufficient_stock', '409 insufficient_stock']);
      await expectStockFollowsOrder('k', 1);
    });

    it.each([
      ['the client retry', 'the reconciler'],
      ['the reconciler', 'the client retry'],
    ])(
      'inventory slower than the timeout; the reconciler and a client retry released together, %s first, ' +
        'a restock before %s',
      async (firstOne) => {
        await start({ INVENTORY_TIMEOUT_MS: '1000' });
        const timedOut = await place('k'); // call 0 stays held: order-service gives up, the order stays pending
        expect(timedOut.answer).toMatchObject({ status: 503, body: { error: { code: 'inventory_unavailable' } } });

        const retry = place('k');
        await held.arrived(2);
        const reconciled = orders.orders.reconcile(-60_000, 60_000);
        await held.arrived(3);
        const [winner, loser] =
          firstOne === 'the client retry'
            ? ([
                [1, retry],
                [2, reconciled],
              ] as const)
            : ([
                [2, reconciled],
                [1, retry],
              ] as const);
        await held.release(winner[0]);
        await winner[1];
        const decided = (await stored('k'))!.status;
        await restock(1);
        await held.release(loser[0]);
        await loser[1];
        await held.release(0); // the first request reaches inventory-service at last, long after order-service gave up
        held.open();
        const resend = await place('k');

        const answers = [timedOut, await retry, resend];
        expect(await disagreements(answers, stored)).toEqual([]);
        // Final states are final: what the first to get an answer decided is what is stored.
        expect([decided, (await stored('k'))!.status]).toEqual(['rejected', 'rejected']);
        expect(inventoryOutcomes('k')).toEqual(Array(3).fill('409 insufficient_stock'));
        expect(answers.map((r) => r.answer.status)).toEqual([503, 409, 409]);
        await expectStockFollowsOrder('k', 1);
      },
    );
  });
});
