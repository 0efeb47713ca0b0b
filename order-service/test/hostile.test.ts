// Hostile input, property-based: whatever a client sends, order-service answers a 2xx or a 4xx with a JSON
// error, and a refused request changes nothing (stock and orders compared before/after). Clients Node itself has
// to refuse (slow-loris, malformed requests, oversized headers) are service-kit's serve(): service-kit/test.
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InventoryService } from '@ostack/inventory-service/app';
import { eachBackend } from '@ostack/test-support/backends';
import {
  anyValue,
  charsetCases,
  contentType,
  encodedBody,
  headers,
  headerValue,
  judge,
  loneSurrogates,
  queryString,
  rawNumber,
  RUNS,
  send,
  Tally,
  withKeys,
} from '@ostack/test-support/hostile-input';
import type { OrderService } from '../src/app';
import type { Order } from '../src/store';
import { inventoryService, listen, type Listening, orderService } from './harness';

const KEYS = ['username', 'product_id', 'quantity'] as const;

eachBackend((backend) => {
  let inventory: InventoryService;
  let inventoryHttp: Listening;
  let orders: OrderService;
  let ordersHttp: Listening;
  let tally: Tally;

  beforeAll(async () => {
    inventory = inventoryService(await backend.database('inventory'));
    inventoryHttp = await listen(inventory.app);
    orders = orderService(inventoryHttp.url, await backend.database('orders'));
    ordersHttp = await listen(orders.app);
    await Promise.all([inventory.store.ready, orders.store.ready]);
  });
  beforeEach(() => {
    tally = new Tally();
  });
  afterAll(async () => {
    await ordersHttp.close();
    await inventoryHttp.close();
    await orders.close();
    await inventory.close();
  });

  interface State {
    orders: Order[];
    stock: Map<number, number>;
  }

  const state = async (): Promise<State> => ({
    orders: await orders.store.list(undefined, 1_000_000),
    stock: new Map((await inventory.store.listProducts()).map((p) => [p.id, p.stock])),
  });

  /**
   * The answer is well-formed and the stores moved exactly as it says: a 201 added one confirmed order and took
   * its quantity from stock; a refusal by inventory-service (404, 409) may record one rejected order and takes no
   * stock; any other refusal (400, 413, 415, 422) changes nothing at all.
   */
  async function expectConsistent(res: Response, method: string, path: string, before: State): Promise<void> {
    const verdict = tally.add(judge(res, method));
    const after = await state();
    const placing = method === 'POST' && path.startsWith('/order-product');
    if (!placing || verdict === 'not_modified' || res.status === 200) {
      expect(after).toEqual(before);
      return;
    }
    const added = after.orders.slice(0, after.orders.length - before.orders.length);
    expect(after.orders.slice(added.length)).toEqual(before.orders);
    const expectedStock = new Map(before.stock);
    if (verdict === 'accepted') {
      const order = (res.body as { order: Order }).order;
      expect(added).toEqual([order]);
      expect(order.status).toBe('confirmed');
      expectedStock.set(order.product_id, before.stock.get(order.product_id)! - order.quantity);
    } else {
      const code = (res.body as { error: { code: string } }).error.code;
      const byInventory = ['product_not_found', 'insufficient_stock'].includes(code);
      expect(added.length).toBeLessThanOrEqual(byInventory ? 1 : 0);
      for (const order of added) expect(order.status).toBe('rejected');
    }
    expect(after.stock).toEqual(expectedStock);
  }

  async function check(req: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer;
  }): Promise<Response> {
    const before = await state();
    const res = await send(ordersHttp.url, req);
    await expectConsistent(res, req.method ?? 'POST', req.path, before);
    return res;
  }

  /** Valid orders, the same with one field replaced by anything, and objects of arbitrary values. */
  const plausible = fc.record({
    username: fc.constantFrom('ann', 'bob'),
    product_id: fc.integer({ min: 1, max: 6 }),
    quantity: fc.integer({ min: 1, max: 3 }),
  });
  const orderBodies = fc.oneof(
    plausible,
    fc.tuple(plausible, fc.constantFrom(...KEYS), anyValue).map(([order, key, value]) => ({ ...order, [key]: value })),
    withKeys(KEYS),
  );

  const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');
  const JSON_TYPE = { 'content-type': 'application/json' };

  describe('hostile input to order-service: a 2xx or a 4xx JSON error, never a 5xx; refused changes nothing', () => {
    it('arbitrary JSON bodies', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), (body) =>
          check({ path: '/order-product', headers: JSON_TYPE, body: json(body) }).then(() => {}),
        ),
        RUNS,
      );
    });

    it('objects with the right keys and arbitrary values, with or without an Idempotency-Key', async () => {
      const key = fc.option(fc.oneof(fc.stringMatching(/^[!-~]{1,20}$/), headerValue), { nil: undefined });
      await fc.assert(
        fc.asyncProperty(orderBodies, key, async (body, idempotencyKey) => {
          const hdrs = { ...JSON_TYPE, ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) };
          await check({ path: '/order-product', headers: hdrs, body: json(body) });
        }),
        RUNS,
      );
      expect(tally.counts.accepted).toBeGreaterThan(0);
      expect(tally.counts.refused).toBeGreaterThan(0);
    });

    it('number literals at the edges (-0, 1e309, MAX_SAFE_INTEGER + 2, 1E2, ...)', async () => {
      await fc.assert(
        fc.asyncProperty(rawNumber, rawNumber, async (id, quantity) => {
          const body = Buffer.from(`{"username": "edge", "product_id": ${id}, "quantity": ${quantity}}`);
          await check({ path: '/order-product', headers: JSON_TYPE, body });
        }),
        RUNS,
      );
    });

    it('query strings', async () => {
      const target = fc.constantFrom('POST /order-product', 'GET /list-orders', 'GET /list-products', 'GET /health');
      const keys = [...KEYS, 'status', 'limit'];
      await fc.assert(
        fc.asyncProperty(target, queryString(keys), async (t, query) => {
          const [method, path] = t.split(' ') as [string, string];
          await check({ method, path: `${path}?${query}` });
        }),
        RUNS,
      );
    });

    it('arbitrary header values, on every route', async () => {
      const target = fc.constantFrom(
        'POST /order-product',
        'GET /list-orders',
        'GET /list-products',
        'GET /health',
        'GET /nope',
      );
      await fc.assert(
        fc.asyncProperty(target, headers, withKeys(KEYS), async (t, hdrs, body) => {
          const [method, path] = t.split(' ') as [string, string];
          await check({
            method,
            path,
            headers: { ...JSON_TYPE, ...hdrs },
            body: method === 'POST' ? json(body) : undefined,
          });
        }),
        RUNS,
      );
    });

    it('content types and charsets (json, text, form, garbage, latin1, utf-16), body bytes in any encoding', async () => {
      const bodies = orderBodies.chain((b) => encodedBody(JSON.stringify(b)));
      await fc.assert(
        fc.asyncProperty(contentType, bodies, async (type, body) => {
          await check({ path: '/order-product', headers: { 'content-type': type }, body });
        }),
        RUNS,
      );
    });

    it('content types, charsets: JSON in UTF-8/16 is read, latin1 is 415, text and forms carry no fields', async () => {
      // The random orders of the tests before may have sold product 5 out: these 4 orders must not meet a 409.
      await request(inventoryHttp.url).post('/restock').send({ product_id: 5, quantity: 100 }).expect(200);
      const text = '{"username": "ann", "product_id": 5}';
      const cases = charsetCases(text, 201);
      for (const [type, bytes, status] of cases) {
        expect(
          (await check({ path: '/order-product', headers: { 'content-type': type }, body: bytes })).status,
          type,
        ).toBe(status);
      }
    });

    it('unicode usernames round-trip exactly, and a retry with the same Idempotency-Key replays the order', async () => {
      await request(inventoryHttp.url).post('/restock').send({ product_id: 4, quantity: 10_000 }).expect(200);
      const name = fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
        loneSurrogates,
      );
      let n = 0;
      await fc.assert(
        fc.asyncProperty(name, async (username) => {
          const hdrs = { ...JSON_TYPE, 'idempotency-key': `unicode-${++n}` };
          const body = json({ username, product_id: 4, quantity: 1 });
          const first = await check({ path: '/order-product', headers: hdrs, body });
          const retry = await check({ path: '/order-product', headers: hdrs, body });
          if (first.status === 201) {
            expect(first.body.order.username).toBe(username.trim());
            expect(retry.status).toBe(200);
            expect(retry.body).toEqual({ order: first.body.order, replayed: true });
          } else {
            expect(first.status).toBe(400);
            expect(retry.status).toBe(400);
          }
        }),
        { numRuns: 100 }, // two orders a run
      );
      expect(tally.counts.accepted).toBeGreaterThan(0);
    });

    it('arbitrary methods on every route', async () => {
      const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');
      const path = fc.constantFrom(
        '/order-product',
        '/list-orders',
        '/list-products',
        '/health',
        '/',
        '/%',
        '/..%2f..%2fetc/passwd',
        '/order-product/',
      );
      await fc.assert(
        fc.asyncProperty(method, path, withKeys(KEYS), async (m, p, body) => {
          const before = await state();
          const res = await send(ordersHttp.url, {
            method: m,
            path: p,
            headers: JSON_TYPE,
            body: m === 'HEAD' ? undefined : json(body),
          });
          // (A HEAD body would go out unframed -- superagent sets no Content-Length for HEAD -- and read as a second,
          // malformed request.) Express answers OPTIONS itself with the allowed methods (200, text): not an error,
          // and changes nothing.
          if (m === 'OPTIONS' && res.status === 200) expect(await state()).toEqual(before);
          else await expectConsistent(res, m, p, before);
        }),
        RUNS,
      );
    });
  });

  describe('limits of order-service', () => {
    beforeAll(async () => {
      // The properties above may have drained these; the limits below want a 201 when the input is valid.
      for (const product_id of [2, 3, 5])
        await request(inventoryHttp.url).post('/restock').send({ product_id, quantity: 1_000 }).expect(200);
    });

    const place = (body: Record<string, unknown>, key?: string) => {
      const req = request(ordersHttp.url).post('/order-product');
      return (key ? req.set('Idempotency-Key', key) : req).send(body);
    };

    it('username: 1-64 characters (code points) after trimming, well-formed Unicode, no control characters', async () => {
      const before = await state();
      expect((await place({ username: 'a'.repeat(64), product_id: 2 })).status).toBe(201);
      expect((await place({ username: `  ${'b'.repeat(64)}  `, product_id: 2 })).status).toBe(201);
      // Characters are code points (zod counts them so): 64 emoji are 128 UTF-16 units and still fit.
      expect((await place({ username: '\u{1F600}'.repeat(64), product_id: 2 })).status).toBe(201);
      for (const username of [
        'a'.repeat(65),
        '\u{1F600}'.repeat(65),
        '',
        '   ',
        'a\ud800b',
        'a\u0007b',
        'a\u009fb',
        42,
        null,
      ]) {
        const res = await place({ username, product_id: 2 });
        expect(res.status, JSON.stringify(username)).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
      }
      expect((await state()).orders.length).toBe(before.orders.length + 3);
    });

    it('quantity is whole, in [1, 1000]: 1000 passes validation (409: not that much stock), 1001 is 400', async () => {
      const before = await state();
      expect((await place({ username: 'q', product_id: 1, quantity: 1_000 })).body.error.code).toBe(
        'insufficient_stock',
      );
      for (const quantity of [1_001, 0, -0, -1, 0.5, 1e308, Number.MAX_SAFE_INTEGER, '0x10', '1e2', '1_000']) {
        expect((await place({ username: 'q', product_id: 1, quantity })).status, String(quantity)).toBe(400);
      }
      expect(
        (await request(ordersHttp.url).post('/order-product?username=q&product_id=3&quantity=%20%207%20%20')).body.order
          .quantity,
      ).toBe(7);
      expect((await state()).stock.get(1)).toBe(before.stock.get(1));
    });

    it('product_id is a whole number in [1, 2^31-1]', async () => {
      expect((await place({ username: 'p', product_id: 2_147_483_647 })).body.error.code).toBe('product_not_found');
      expect((await place({ username: 'p', product_id: 2_147_483_648 })).status).toBe(400);
      expect((await place({ username: 'p', product_id: Number.MAX_SAFE_INTEGER })).status).toBe(400);
    });

    it('an Idempotency-Key is 1-128 printable ASCII characters; list-orders limit is 1-1000', async () => {
      expect((await place({ username: 'k', product_id: 5 }, 'k'.repeat(128))).status).toBe(201);
      expect((await place({ username: 'k', product_id: 5 }, 'k'.repeat(129))).status).toBe(400);
      expect((await place({ username: 'k', product_id: 5 }, 'caf\u00e9')).status).toBe(400);
      await request(ordersHttp.url).get('/list-orders?limit=1000').expect(200);
      await request(ordersHttp.url).get('/list-orders?limit=1001').expect(400);
    });

    it('a body of 16 KiB is read, one byte more is 413', async () => {
      const body = (size: number) => {
        const head = '{"username": "big", "product_id": 5, "pad": "';
        return Buffer.from(head + 'x'.repeat(size - head.length - 2) + '"}');
      };
      expect((await check({ path: '/order-product', headers: JSON_TYPE, body: body(16_384) })).status).toBe(201);
      const over = await check({ path: '/order-product', headers: JSON_TYPE, body: body(16_385) });
      expect(over.status).toBe(413);
      expect(over.body.error.code).toBe('payload_too_large');
      expect((await check({ path: '/order-product', headers: JSON_TYPE, body: body(1_000_000) })).status).toBe(413);
    });

    it('deep nesting: 10 000 levels are 413; 1 000 object or 8 000 array levels (under the limit) 400', async () => {
      const nested = (depth: number) => Buffer.from('{"username":'.repeat(depth) + '1' + '}'.repeat(depth));
      const arrays = (depth: number) => Buffer.from('['.repeat(depth) + ']'.repeat(depth));
      for (const [body, status] of [
        [nested(10_000), 413],
        [arrays(10_000), 413],
        [nested(1_000), 400],
        [arrays(8_000), 400],
      ] as const) {
        expect((await check({ path: '/order-product', headers: JSON_TYPE, body })).status).toBe(status);
      }
    });
  });
});
