// Nothing lost, nothing broken: both services as real processes under concurrent orders while inventory-service
// is SIGKILLed and restarted, order-service is SIGKILLed mid-traffic and restarted, and inventory-service is made
// slower than order-service's timeout, and for a while slow but in time; with restocks landing meanwhile, clients
// that retry with their key just when the reconciler takes their pending order, and clients that send one key
// several times in a row. Afterwards, with the reconciler done, both SQLite files are opened read-only and must
// agree: every unit of stock taken belongs to exactly one confirmed order, and back; and every answer any client
// got agrees with its order as stored.
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eachBackend } from '@ostack/test-support/backends';
import type { Order } from '../src/store';
import { disagreement } from './outcomes';
import { freePort, ServiceProcess } from './processes';

const TIMEOUT_MS = 500; // order-service's INVENTORY_TIMEOUT_MS
const SLOW_MS = 1_500; // inventory's injected latency: above the timeout, so answers come too late
// For part of the run inventory answers slowly but in time, as under load: requests with one key are in flight
// together.
const IN_TIME_MS = 250;
const inTime = { INVENTORY_FAULT_LATENCY_MS: String(IN_TIME_MS) };
const DEADLINE_MS = 15_000; // a client request not answered within this is a hang
const RETRY_PAUSE_MS = 200;
const RECONCILE_MS = 500; // order-service's RECONCILE_INTERVAL_MS; it takes orders pending for 2 x TIMEOUT_MS
const PRODUCTS = [1, 2, 3, 4, 5];

eachBackend((backend) => {
  let inventoryEnv: Record<string, string>;
  let ordersEnv: Record<string, string>;
  let inventory: ServiceProcess;
  let order: ServiceProcess;

  interface OrderBody {
    username: string;
    product_id: number;
    quantity: number;
  }
  type Outcome = number | 'connection_error' | 'deadline';
  interface Answer {
    outcome: Outcome;
    body?: { order?: Order; replayed?: boolean; error?: { code: string; order_id?: number } };
  }

  /** One POST /order-product with a deadline: an answer, a connection error (process killed), or a hang. */
  async function place(body: OrderBody, key?: string): Promise<Answer> {
    try {
      const res = await fetch(`${order.url}/order-product`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      return { outcome: res.status, body: (await res.json()) as Answer['body'] };
    } catch (err) {
      return { outcome: (err as Error).name === 'TimeoutError' ? 'deadline' : 'connection_error' };
    }
  }

  const definitive = (a: Answer) => typeof a.outcome === 'number' && a.outcome !== 503;
  const settled = (a: Answer) => definitive(a) || a.outcome === 'deadline';
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

  function randomOrder(client: string, scarce = 1 / 9): OrderBody {
    // Mostly products in stock, some of the scarce product 1 (409s until a restock lands), some unknown (404s).
    const product_id = Math.random() < 0.1 ? 99 : Math.random() < scarce ? 1 : pick([2, 3, 4, 5]);
    return { username: client, product_id, quantity: 1 + Math.floor(Math.random() * 3) };
  }

  /** Everything the clients saw, to check against the databases afterwards. */
  const seen = {
    outcomes: new Map<string, number>(),
    /** Retrying clients: the final answer per idempotency key, and the answer to a resend of a definitive one. */
    keyed: [] as { key: string; body: OrderBody; final: Answer; resend?: Answer; attempts: number }[],
    /** One-shot clients: each answer with an order id in it. */
    plain: [] as Answer[],
    /** Every request any client sent, with its answer. */
    all: [] as { key?: string; answer: Answer }[],
  };
  const count = (a: Answer) => seen.outcomes.set(String(a.outcome), (seen.outcomes.get(String(a.outcome)) ?? 0) + 1);
  /** Units of each product restocked during the traffic (answered 200). */
  const restocked = new Map<number, number>();

  /** Sends and records one request: every answer is checked against the stored order afterwards. */
  async function sent(body: OrderBody, key?: string): Promise<Answer> {
    const answer = await place(body, key);
    count(answer);
    seen.all.push({ key, answer });
    return answer;
  }

  /** A client that sends its own Idempotency-Key and retries after a 503 or a connection error until answered. */
  async function retryingClient(name: string, running: () => boolean, giveUpAt: () => number): Promise<void> {
    for (let n = 0; running(); n++) {
      const key = `${name}-${n}`;
      const body = randomOrder(name);
      let attempts = 0;
      const send = async () => {
        for (;;) {
          const answer = await sent(body, key);
          attempts++;
          if (settled(answer) || Date.now() >= giveUpAt()) return answer;
          await sleep(RETRY_PAUSE_MS);
        }
      };
      const final = await send();
      // Now and then the answer is "lost" and the client sends it again: it must get the same answer.
      const resend = definitive(final) && Math.random() < 0.2 ? await send() : undefined;
      seen.keyed.push({ key, body, final, resend, attempts });
      await sleep(20 + Math.random() * 60);
    }
  }

  /** A client without a key: one attempt per order, whatever happens. */
  async function plainClient(name: string, running: () => boolean): Promise<void> {
    while (running()) {
      const answer = await sent(randomOrder(name));
      seen.plain.push(answer);
      await sleep(20 + Math.random() * 60);
    }
  }

  /**
   * A client whose retry races the reconciler: after a 503 it sends the same key again just when the reconciler
   * takes the pending order (pending for 2 x TIMEOUT_MS, at one of its runs every RECONCILE_MS), mostly for the
   * scarce product that restocks keep refilling.
   */
  async function racingClient(name: string, running: () => boolean, giveUpAt: () => number): Promise<void> {
    for (let n = 0; running(); n++) {
      const key = `${name}-${n}`;
      const body = randomOrder(name, 0.6);
      let attempts = 0;
      let answer: Answer;
      for (;;) {
        const sentAt = Date.now();
        answer = await sent(body, key);
        attempts++;
        if (settled(answer) || Date.now() >= giveUpAt()) break;
        const due =
          answer.outcome === 503 ? sentAt + 2 * TIMEOUT_MS + Math.random() * RECONCILE_MS : Date.now() + RETRY_PAUSE_MS;
        await sleep(Math.max(0, due - Date.now()));
      }
      seen.keyed.push({ key, body, final: answer, attempts });
      await sleep(20 + Math.random() * 60);
    }
  }

  /**
   * A client that sends one key two or three times, 50-250 ms apart, without waiting for the answers (a user
   * clicking again on a slow page), then retries it until it gets an answer.
   */
  async function burstClient(name: string, running: () => boolean, giveUpAt: () => number): Promise<void> {
    for (let n = 0; running(); n++) {
      const key = `${name}-${n}`;
      const body = randomOrder(name, 0.6);
      const burst = Array.from({ length: 2 + Math.floor(Math.random() * 2) }, (_, i) =>
        sleep(i * (50 + Math.random() * 200)).then(() => sent(body, key)),
      );
      let answer = (await Promise.all(burst)).at(-1)!;
      let attempts = burst.length;
      while (!settled(answer) && Date.now() < giveUpAt()) {
        await sleep(RETRY_PAUSE_MS);
        answer = await sent(body, key);
        attempts++;
      }
      seen.keyed.push({ key, body, final: answer, attempts });
      await sleep(20 + Math.random() * 60);
    }
  }

  /**
   * Restocks the scarce product whenever it is (nearly) sold out, so its orders meet refusals and restocks in turn;
   * paused (its restock in flight awaited) while inventory-service is killed, so each restock is known to have
   * happened or not.
   */
  function restocker() {
    let paused = false;
    let stopped = false;
    let inFlight: Promise<unknown> = Promise.resolve();
    const stockOf1 = async () => {
      try {
        const res = await fetch(`${inventory.url}/list-products`, { signal: AbortSignal.timeout(3_000) });
        return ((await res.json()) as { products: { id: number; stock: number }[] }).products.find((p) => p.id === 1)!
          .stock;
      } catch {
        return undefined; // inventory-service down: nothing to do
      }
    };
    const loop = (async () => {
      while (!stopped) {
        await sleep(100 + Math.random() * 200);
        const stock = paused || stopped ? undefined : await stockOf1();
        if (stock === undefined || stock >= 3 || paused || stopped) continue;
        const quantity = 1 + Math.floor(Math.random() * 3);
        inFlight = fetch(`${inventory.url}/restock`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ product_id: 1, quantity }),
        }).then((res) => {
          if (res.status !== 200) throw new Error(`restock answered ${res.status}`);
          restocked.set(1, (restocked.get(1) ?? 0) + quantity);
        });
        await inFlight;
      }
    })();
    return {
      pause: async () => {
        paused = true;
        await inFlight;
      },
      resume: () => {
        paused = false;
      },
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  interface Stored {
    stock: Map<number, number>;
    reductions: { idempotency_key: string; product_id: number; quantity: number }[];
    orders: Order[];
  }

  /** Both databases as stored, read directly (SQLite read-only; PostgreSQL with a plain client). */
  async function readStores(): Promise<Stored> {
    if (inventoryEnv.DATABASE_URL) {
      const rows = async <T extends pg.QueryResultRow>(url: string, text: string) => {
        const c = new pg.Client(url);
        await c.connect();
        try {
          return (await c.query<T>(text)).rows;
        } finally {
          await c.end();
        }
      };
      const products = await rows<{ id: number; stock: string }>(
        inventoryEnv.DATABASE_URL,
        'SELECT id, stock FROM products',
      );
      return {
        stock: new Map(products.map((p) => [p.id, Number(p.stock)])),
        reductions: await rows<Stored['reductions'][number]>(
          inventoryEnv.DATABASE_URL,
          "SELECT idempotency_key, product_id, quantity FROM stock_decisions WHERE outcome = 'reduced'",
        ),
        // int8 ids come back as text from a plain client.
        orders: (await rows<Order>(ordersEnv.DATABASE_URL!, 'SELECT * FROM orders ORDER BY id')).map((o) => ({
          ...o,
          id: Number(o.id),
        })),
      };
    }
    const inv = new DatabaseSync(inventoryEnv.DATABASE_PATH!, { readOnly: true });
    const ord = new DatabaseSync(ordersEnv.DATABASE_PATH!, { readOnly: true });
    try {
      const products = inv.prepare('SELECT id, stock FROM products').all() as { id: number; stock: number }[];
      return {
        stock: new Map(products.map((p) => [p.id, p.stock])),
        reductions: inv
          .prepare('SELECT idempotency_key, product_id, quantity FROM stock_reductions')
          .all() as Stored['reductions'],
        orders: ord.prepare('SELECT * FROM orders ORDER BY id').all() as unknown as Order[],
      };
    } finally {
      inv.close();
      ord.close();
    }
  }

  let initialStock: Map<number, number>;
  let stored: Stored;
  let exitCodes: (number | null)[];
  const log: string[] = [];

  beforeAll(async () => {
    inventoryEnv = await backend.database('inventory');
    ordersEnv = await backend.database('orders');
    inventory = new ServiceProcess('inventory-service', await freePort(), inventoryEnv);
    order = new ServiceProcess('order-service', await freePort(), {
      ...ordersEnv,
      INVENTORY_SERVICE_URL: inventory.url,
      INVENTORY_TIMEOUT_MS: String(TIMEOUT_MS),
      RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
    });
    await inventory.start();
    await order.start();
    // Plenty of stock for products 2-5; product 1 keeps its 8 units, so it runs out under load (409s).
    for (const product_id of [2, 3, 4, 5]) {
      const res = await fetch(`${inventory.url}/restock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product_id, quantity: 150 }),
      });
      expect(res.status).toBe(200);
    }
    const listed = (await (await fetch(`${inventory.url}/list-products`)).json()) as {
      products: { id: number; stock: number }[];
    };
    initialStock = new Map(listed.products.map((p) => [p.id, p.stock]));

    // Traffic: 4 clients that retry with their key, 3 whose retries race the reconciler, 3 that send a key in
    // bursts, 4 that do not retry; and restocks of the scarce product.
    let traffic = true;
    let giveUpAt = Infinity;
    const t0 = Date.now();
    const mark = (what: string) => log.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    const clients = [
      ...Array.from({ length: 4 }, (_, i) =>
        retryingClient(
          `retrying-${i}`,
          () => traffic,
          () => giveUpAt,
        ),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        racingClient(
          `racing-${i}`,
          () => traffic,
          () => giveUpAt,
        ),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        burstClient(
          `burst-${i}`,
          () => traffic,
          () => giveUpAt,
        ),
      ),
      ...Array.from({ length: 4 }, (_, i) => plainClient(`plain-${i}`, () => traffic)),
    ];
    const restocks = restocker();
    // Restocks pause while inventory is down, so that each one is known to have happened or not.
    const stopInventory = async () => {
      await restocks.pause();
      await inventory.kill();
    };
    const startInventory = async (env: Record<string, string> = {}) => {
      await inventory.start(env);
      restocks.resume();
    };

    // Chaos, while the clients run.
    await sleep(2_500);
    mark('SIGKILL inventory-service');
    await stopInventory();
    await sleep(1_500);
    await startInventory(inTime);
    mark(`inventory-service back, slow but in time (${IN_TIME_MS} ms)`);
    await sleep(2_000);
    mark('SIGKILL order-service');
    await order.kill();
    await sleep(1_000);
    await order.start();
    mark('order-service back');
    await sleep(1_500);
    mark(`inventory-service restarted ${SLOW_MS} ms slow (order-service times out at ${TIMEOUT_MS} ms)`);
    await stopInventory();
    await startInventory({ INVENTORY_FAULT_LATENCY_MS: String(SLOW_MS) });
    await sleep(2_000);
    mark('SIGKILL order-service while inventory is slow');
    await order.kill();
    await order.start();
    await sleep(2_000);
    await stopInventory();
    await startInventory(inTime);
    mark(`inventory-service slow but in time again (${IN_TIME_MS} ms)`);
    await sleep(4_000);
    await stopInventory();
    await startInventory();
    mark('inventory-service normal again');
    await sleep(2_000);
    traffic = false;
    giveUpAt = Date.now() + 20_000; // retrying clients finish the order they are on
    await Promise.all(clients);
    await restocks.stop();
    mark('traffic stopped, clients done');

    // The reconciler completes what no client retried (the one-shot clients' 503s and lost answers).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${order.url}/list-orders?status=pending&limit=1`);
      if (((await res.json()) as { orders: Order[] }).orders.length === 0) break;
      if (Date.now() > deadline) throw new Error('orders still pending 30 s after the traffic stopped');
      await sleep(250);
    }
    mark('no pending orders');
    // A clean stop, so that the files are complete without a WAL to replay.
    exitCodes = [];
    for (const svc of [order, inventory]) {
      await svc.kill('SIGTERM');
      exitCodes.push(svc.child!.exitCode);
    }
    stored = await readStores();
  }, 120_000);

  afterAll(async () => {
    await order?.kill();
    await inventory?.kill();
    const confirmed = stored?.orders.filter((o) => o.status === 'confirmed').length;
    const byId = new Map(stored?.orders.map((o) => [o.id, o]));
    const left = seen.plain.filter((a) => a.outcome === 503).map((a) => byId.get(a.body!.error!.order_id!)?.status);
    const resent = seen.keyed.filter((k) => k.attempts > 1).length;
    const mostAttempts = Math.max(0, ...seen.keyed.map((k) => k.attempts));
    const completed = (status: string) => left.filter((s) => s === status).length;
    console.log(
      `consistency: ${[...seen.outcomes].map(([k, v]) => `${k}=${v}`).join(' ')}; ${stored?.orders.length} orders, ` +
        `${confirmed} confirmed, ${stored?.reductions.length} reductions; ` +
        `${resent} keys sent more than once (max ${mostAttempts} times); ` +
        `one-shot 503s completed by the reconciler: ` +
        `${completed('confirmed')} confirmed, ${completed('rejected')} rejected; ` +
        `${stored ? contradictions().length : '?'} of ${seen.all.length} answers contradict the stored orders` +
        `\n  ${log.join('\n  ')}`,
    );
  });

  describe('orders and stock stay consistent through crashes, restarts and timeouts', () => {
    it('every client request was answered before its deadline, with no 5xx other than 503', () => {
      expect(seen.outcomes.get('deadline') ?? 0).toBe(0);
      for (const outcome of seen.outcomes.keys())
        expect(['200', '201', '404', '409', '503', 'connection_error']).toContain(outcome);
      // The chaos happened: clients saw inventory unavailable and order-service gone, and retried.
      expect(seen.outcomes.get('503') ?? 0).toBeGreaterThan(0);
      expect(seen.outcomes.get('connection_error') ?? 0).toBeGreaterThan(0);
      expect(seen.keyed.some((k) => k.attempts > 1)).toBe(true);
    });

    it('no order is left pending; both services stopped cleanly after the chaos', () => {
      expect(stored.orders.filter((o) => o.status === 'pending')).toEqual([]);
      expect(exitCodes).toEqual([0, 0]);
    });

    it('per product: initial stock + restocked - current stock = the quantities of its confirmed orders', () => {
      expect(restocked.get(1) ?? 0).toBeGreaterThan(0);
      for (const id of PRODUCTS) {
        const confirmed = stored.orders.filter((o) => o.status === 'confirmed' && o.product_id === id);
        const taken = initialStock.get(id)! + (restocked.get(id) ?? 0) - stored.stock.get(id)!;
        expect(taken, `product ${id}`).toBe(confirmed.reduce((sum, o) => sum + o.quantity, 0));
      }
    });

    it('every stock reduction belongs to exactly one confirmed order (same key, product, quantity), and back', () => {
      const byKey = new Map(stored.orders.map((o) => [o.idempotency_key, o]));
      expect(byKey.size).toBe(stored.orders.length); // no idempotency key twice
      for (const r of stored.reductions) {
        expect(byKey.get(r.idempotency_key), r.idempotency_key).toMatchObject({
          status: 'confirmed',
          product_id: r.product_id,
          quantity: r.quantity,
        });
      }
      const reduced = new Set(stored.reductions.map((r) => r.idempotency_key));
      const confirmed = stored.orders.filter((o) => o.status === 'confirmed');
      expect(confirmed.filter((o) => !reduced.has(o.idempotency_key))).toEqual([]);
      expect(confirmed.length).toBe(stored.reductions.length);
      // A rejected order never took stock, whatever its earlier attempts did.
      expect(stored.orders.filter((o) => o.status === 'rejected' && reduced.has(o.idempotency_key))).toEqual([]);
    });

    it('what the clients were told is what is stored', () => {
      const byKey = new Map(stored.orders.map((o) => [o.idempotency_key, o]));
      const byId = new Map(stored.orders.map((o) => [o.id, o]));
      for (const { key, body, final, resend } of seen.keyed) {
        expect(definitive(final), `${key} never got an answer`).toBe(true);
        const row = byKey.get(key);
        expect(row, key).toMatchObject(body);
        if (final.outcome === 201 || final.outcome === 200) {
          expect(row!.status, key).toBe('confirmed');
          expect(final.body!.order!.id).toBe(row!.id);
        } else {
          expect(row!.status, `${key} answered ${final.outcome}`).toBe('rejected');
        }
        // A resend gets the same answer: a replay of the confirmed order, or the same refusal.
        if (resend && final.outcome !== 200 && final.outcome !== 201) {
          expect([resend.outcome, resend.body?.error?.code], key).toEqual([final.outcome, final.body?.error?.code]);
        }
        if (resend && (final.outcome === 200 || final.outcome === 201))
          expect(resend).toMatchObject({ outcome: 200, body: { replayed: true, order: { id: row!.id } } });
      }
      for (const answer of seen.plain) {
        const id = answer.body?.order?.id ?? answer.body?.error?.order_id;
        if (answer.outcome === 201) expect(byId.get(id!)?.status).toBe('confirmed');
        // A 503 left the order pending; it ended confirmed or rejected (no pending left, checked above).
        // (503 database_unavailable without an order id: PostgreSQL's schema not there yet in a restarted process,
        // nothing was stored.)
        if (answer.outcome === 503 && id !== undefined)
          expect(['confirmed', 'rejected']).toContain(byId.get(id)?.status);
      }
      // One-shot clients never retry: their 503s that ended confirmed were completed by the reconciler.
      expect(
        seen.plain.some((a) => a.outcome === 503 && byId.get(a.body!.error!.order_id!)?.status === 'confirmed'),
      ).toBe(true);
    });

    it('every answer agrees with the order as stored: 201/200 confirmed, 404/409 rejected for that reason', () => {
      // Each answer names its order, so that one-shot clients' answers are checked too.
      const unnamed = seen.all.filter(
        ({ answer: { outcome, body } }) =>
          typeof outcome === 'number' &&
          body?.error?.code !== 'database_unavailable' &&
          !(body?.order?.id ?? body?.error?.order_id),
      );
      expect(unnamed.map((a) => a.answer)).toEqual([]);
      expect(contradictions()).toEqual([]);
      // Keys were sent more than once while the reconciler ran, and refusals of the scarce product met restocks.
      expect(seen.keyed.filter((k) => k.key.startsWith('racing') && k.attempts > 1).length).toBeGreaterThan(0);
      expect(seen.all.filter((a) => a.answer.outcome === 409).length).toBeGreaterThan(0);
    });
  });

  /** The answers that disagree with the stored orders (found by key, or by the order id in the answer). */
  function contradictions(): string[] {
    const byKey = new Map(stored.orders.map((o) => [o.idempotency_key, o]));
    const byId = new Map(stored.orders.map((o) => [o.id, o]));
    return seen.all.flatMap(({ key, answer: { outcome, body } }) => {
      if (typeof outcome !== 'number') return []; // no answer: nothing was said
      const id = body?.order?.id ?? body?.error?.order_id;
      const order = key ? byKey.get(key) : id === undefined ? undefined : byId.get(id);
      const why = disagreement({ status: outcome, body: body ?? {} }, order);
      return why ? [`${key ?? `order ${id}`}: ${why}`] : [];
    });
  }
});
