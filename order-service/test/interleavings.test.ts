// Property-based: random interleavings of orders placed and retried with their idempotency keys, reconciler runs,
// restocks and inventory timeouts, on a few keys and one scarce product. fast-check's scheduler decides the order
// of every step: the start of each client request, reconciler run and restock, and, at the gate in front of the real
// inventory-service, when each stock call reaches it, when its answer gets back, or that order-service sees a
// timeout instead (the request reaching inventory-service before, later, or never). After each run, with every
// order then completed by one more retry per key: inventory-service gave each key one outcome, no order changed
// once settled, every answer agrees with the stored order, and the stock taken is the confirmed orders'.
import { DatabaseSync } from 'node:sqlite';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type Backend, eachBackend } from '@ostack/test-support/backends';
import type { Order } from '../src/store';
import { inventoryService, listen, orderService } from './harness';
import { type Call, type Fate, type GatePolicy, InventoryGate, type Reply } from './inventory-gate';
import { type Answer, disagreements } from './outcomes';

const RUNS = 60;
const SETTLE_MS = 10_000; // a step still running this long after it was let go is a hang

const fate = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Fate>('answered') },
  { weight: 1, arbitrary: fc.constantFrom<Fate>('lost', 'late', 'dropped') },
);
const scenario = fc.record({
  stock: fc.integer({ min: 0, max: 2 }),
  keys: fc.array(
    fc.record({
      product_id: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(99) }),
      quantity: fc.integer({ min: 1, max: 2 }),
      requests: fc.integer({ min: 1, max: 3 }), // the first request and its retries, all alike
    }),
    { minLength: 1, maxLength: 3 },
  ),
  reconciles: fc.integer({ min: 0, max: 2 }),
  restocks: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 3 }),
  fates: fc.array(fate, { minLength: 16, maxLength: 16 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * Every concurrent step either runs (real I/O between the services) or waits for the scheduler. The scheduler
 * picks its next step only once none runs, so which steps it picks from, and so a run, depends on its seed only.
 */
class Steps {
  private running = 0;
  constructor(private readonly s: fc.Scheduler) {}

  /** The act of fc.scheduler: before each pick, let whatever runs reach its next wait. */
  static readonly settle = (steps: () => Steps) => async (pick: () => Promise<void>) => {
    const deadline = Date.now() + SETTLE_MS;
    while (steps().running > 0) {
      if (Date.now() > deadline) throw new Error(`a step still runs ${SETTLE_MS} ms after it was let go`);
      await tick();
    }
    await pick();
  };

  /** Waits for the scheduler, from a step that is running. */
  pause<T>(label: string, value: T): Promise<T> {
    this.running--;
    return this.wait(label, value);
  }

  /** A new step: it waits for the scheduler first, then runs `work`. */
  async step<T>(label: string, work: () => Promise<T>): Promise<T> {
    await this.wait(label, undefined);
    try {
      return await work();
    } finally {
      this.running--;
    }
  }

  private wait<T>(label: string, value: T): Promise<T> {
    return this.s.schedule(Promise.resolve(value), label, undefined, async (trigger) => {
      this.running++; // counted from the pick on: the step runs as soon as its promise resolves
      await trigger();
    });
  }
}

/** The gate's policy under the scheduler; `open` lets every call straight through (the final retries). */
function scheduledPolicy(steps: Steps, fates: Fate[]): GatePolicy & { open: boolean } {
  const label = (what: string, call: Call) => `${what} ${call.key} #${call.n}`;
  return {
    open: false,
    arrive(call: Call) {
      const f = this.open ? 'answered' : fates[call.n % fates.length]!;
      return this.open ? Promise.resolve(f) : steps.pause(label(`reduce-stock (${f})`, call), f);
    },
    answer(call: Call, reply: Reply) {
      return this.open ? Promise.resolve() : steps.pause(label(`answer ${reply.status}`, call), undefined);
    },
    late(call: Call, deliver: () => Promise<Reply>) {
      return steps.step(label('late reduce-stock', call), deliver);
    },
  };
}

/** Final states are final: a trigger records any change to a settled order, read by a second connection. */
interface Watch {
  changes(): Promise<unknown[]>;
  close(): Promise<void>;
}

async function watchOutcomes(env: Record<string, string>): Promise<Watch> {
  if (env.DATABASE_URL) {
    const client = new pg.Client(env.DATABASE_URL);
    await client.connect();
    await client.query(`
      CREATE TABLE changed_outcomes (order_id bigint, was text, became text);
      CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO changed_outcomes VALUES
          (OLD.id, OLD.status || ' ' || coalesce(OLD.reason, ''), NEW.status || ' ' || coalesce(NEW.reason, ''));
        RETURN NEW;
      END $$;
      CREATE TRIGGER final_is_final AFTER UPDATE OF status, reason ON orders FOR EACH ROW
        WHEN (OLD.status != 'pending' AND (NEW.status != OLD.status OR NEW.reason IS DISTINCT FROM OLD.reason))
        EXECUTE FUNCTION record_change();
    `);
    return {
      changes: async () => (await client.query('SELECT * FROM changed_outcomes')).rows,
      close: () => client.end(),
    };
  }
  const watch = new DatabaseSync(env.DATABASE_PATH!);
  watch.exec(`
    CREATE TABLE changed_outcomes (order_id INTEGER, was TEXT, became TEXT);
    CREATE TRIGGER final_is_final AFTER UPDATE OF status, reason ON orders
      WHEN OLD.status != 'pending' AND (NEW.status != OLD.status OR NEW.reason IS NOT OLD.reason)
      BEGIN
        INSERT INTO changed_outcomes VALUES
          (OLD.id, OLD.status || ' ' || IFNULL(OLD.reason, ''), NEW.status || ' ' || IFNULL(NEW.reason, ''));
      END;
  `);
  return {
    changes: () => Promise.resolve(watch.prepare('SELECT * FROM changed_outcomes').all()),
    close: () => Promise.resolve(watch.close()),
  };
}

async function play(s: fc.Scheduler, steps: Steps, sc: Scenario, backend: Backend): Promise<void> {
  const inventory = inventoryService(await backend.database('inventory'));
  const inventoryHttp = await listen(inventory.app);
  const policy = scheduledPolicy(steps, sc.fates);
  const gate = await InventoryGate.start(inventoryHttp.url, policy);
  const ordersEnv = await backend.database('orders');
  const orders = orderService(gate.url, { INVENTORY_TIMEOUT_MS: '10000', ...ordersEnv });
  const ordersHttp = await listen(orders.app);
  await Promise.all([inventory.store.ready, orders.store.ready]);
  const watch = await watchOutcomes(ordersEnv);
  try {
    const post = async (path: string, body: object, key?: string) => {
      const res = await fetch(`${path.startsWith('/order') ? ordersHttp.url : inventoryHttp.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    };
    await post('/reduce-stock', { product_id: 1, quantity: 8 - sc.stock });
    const stockBefore = (await inventory.store.getProduct(1))!.stock;

    const orderOf = (i: number) => ({
      username: `u${i}`,
      product_id: sc.keys[i]!.product_id,
      quantity: sc.keys[i]!.quantity,
    });
    const answers: { key: string; answer: Answer }[] = [];
    let restocked = 0;
    const work = [
      ...sc.keys.flatMap((k, i) =>
        Array.from({ length: k.requests }, (_, n) =>
          steps.step(`${n === 0 ? 'place' : 'retry'} k${i}`, async () => {
            answers.push({ key: `k${i}`, answer: await post('/order-product', orderOf(i), `k${i}`) });
          }),
        ),
      ),
      ...Array.from({ length: sc.reconciles }, () =>
        steps.step('reconcile', () => orders.orders.reconcile(-60_000, 60_000)),
      ),
      ...sc.restocks.map((quantity) =>
        steps.step(`restock ${quantity}`, async () => {
          expect((await post('/restock', { product_id: 1, quantity })).status).toBe(200);
          restocked += quantity;
        }),
      ),
    ];
    const all = Promise.all(work).then(async () => {
      for (let n = -1; n !== gate.lateDeliveries.length;) {
        n = gate.lateDeliveries.length;
        await Promise.all(gate.lateDeliveries);
      }
    });
    await s.waitFor(all);

    // Whatever is still pending is completed by one more retry per key, which answers the final outcome.
    policy.open = true;
    for (const [i] of sc.keys.entries()) {
      const last = await post('/order-product', orderOf(i), `k${i}`);
      expect([200, 201, 404, 409], `k${i} after the run: ${JSON.stringify(last.body)}`).toContain(last.status);
      answers.push({ key: `k${i}`, answer: last });
    }

    const stored = new Map((await orders.store.list(undefined, 100)).map((o) => [o.idempotency_key, o]));
    const outcomes = [...gate.replies].map(([key, replies]) => [key, [...new Set(replies.map(outcome))]]);
    expect(
      outcomes.filter(([, o]) => o!.length > 1),
      'keys inventory-service answered two ways',
    ).toEqual([]);
    expect(await watch.changes(), 'settled orders changed').toEqual([]);
    expect(await disagreements(answers, (key) => stored.get(key)), 'answers contradicting the stored order').toEqual(
      [],
    );
    const confirmed = [...stored.values()].filter((o: Order) => o.status === 'confirmed' && o.product_id === 1);
    const taken = stockBefore + restocked - (await inventory.store.getProduct(1))!.stock;
    expect(taken, 'stock taken vs confirmed quantities').toBe(confirmed.reduce((sum, o) => sum + o.quantity, 0));
  } finally {
    await watch.close();
    await ordersHttp.close();
    await gate.close();
    await inventoryHttp.close();
    await orders.close();
    await inventory.close();
  }
}

const outcome = (r: Reply) => `${r.status}${r.body.error ? ` ${r.body.error.code}` : ''}`;

eachBackend((backend) => {
  describe('random interleavings of place, retry, reconcile, restock and inventory timeouts', () => {
    it('one outcome per key, final states final, every answer agrees with the stored order', async () => {
      let steps!: Steps;
      await fc.assert(
        fc.asyncProperty(fc.scheduler({ act: Steps.settle(() => steps) }), scenario, async (s, sc) => {
          steps = new Steps(s);
          await play(s, steps, sc, backend);
        }),
        { numRuns: RUNS },
      );
    }, 180_000);
  });
});
