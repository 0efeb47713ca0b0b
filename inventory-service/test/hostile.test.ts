// Hostile input, property-based: whatever a client sends, inventory-service answers a 2xx or a 4xx with a
// JSON error, and a refused request changes nothing but the record of its refusal (stock, recorded reductions and
// refusals compared before/after).
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@ostack/telemetry';
import { buildInventoryService, type InventoryService } from '../src/app';
import { readConfig } from '../src/config';
import {
  anyValue,
  charsetCases,
  contentType,
  encodedBody,
  headers,
  headerValue,
  judge,
  queryString,
  rawNumber,
  RUNS,
  send,
  Tally,
  withKeys,
} from '@ostack/test-support/hostile-input';

const KEYS = ['product_id', 'quantity'] as const;
const ROUTES = ['/reduce-stock', '/restock'] as const;

let svc: InventoryService;
let server: Server;
let url: string;
let db: DatabaseSync; // a second, read-only connection: what is stored, not what the service says
let tally: Tally;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'inventory-hostile-')), 'inventory.db');
  svc = buildInventoryService(readConfig({ DATABASE_PATH: path }), createLogger('inventory-service', 'error'), 'test');
  server = svc.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = new DatabaseSync(path, { readOnly: true });
});
beforeEach(() => {
  tally = new Tally();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  db.close();
  await svc.close();
});

interface State {
  stock: Map<number, number>;
  reductions: { idempotency_key: string; product_id: number; quantity: number }[];
  refusals: number;
}

function state(): State {
  const products = db.prepare('SELECT id, stock FROM products ORDER BY id').all() as { id: number; stock: number }[];
  return {
    stock: new Map(products.map((p) => [p.id, p.stock])),
    reductions: db
      .prepare('SELECT idempotency_key, product_id, quantity FROM stock_reductions ORDER BY idempotency_key')
      .all() as State['reductions'],
    refusals: (db.prepare('SELECT COUNT(*) AS n FROM stock_refusals').get() as { n: number }).n,
  };
}

/**
 * The answer is well-formed, and the stored state moved exactly as the answer says (or not at all): a stock
 * refusal (404, 409) under a new idempotency key is recorded, and changes nothing else.
 */
function expectConsistent(res: Response, method: string, path: string, before: State, key?: string): void {
  const verdict = tally.add(judge(res, method));
  const after = state();
  if (verdict !== 'accepted' || method !== 'POST' || !ROUTES.some((r) => path.startsWith(r))) {
    const error = (res.body as { error?: { code?: string; replayed?: boolean } } | undefined)?.error;
    const refusal =
      ['product_not_found', 'insufficient_stock'].includes(error?.code ?? '') && path.startsWith('/reduce-stock');
    const recorded = verdict === 'refused' && refusal && key !== undefined && error?.replayed === false;
    expect(after).toEqual({ ...before, refusals: before.refusals + (recorded ? 1 : 0) });
    return;
  }
  const { product_id, quantity, stock, replayed } = res.body as {
    product_id: number;
    quantity: number;
    stock: number;
    replayed?: boolean;
  };
  const expected = new Map(before.stock);
  if (path.startsWith('/restock')) expected.set(product_id, before.stock.get(product_id)! + quantity);
  else if (!replayed) expected.set(product_id, before.stock.get(product_id)! - quantity);
  expect(after.stock).toEqual(expected);
  expect(after.stock.get(product_id)).toBe(stock);
  const recorded = path.startsWith('/reduce-stock') && !replayed && key !== undefined;
  expect(after.reductions.length).toBe(before.reductions.length + (recorded ? 1 : 0));
}

async function answer(req: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}): Promise<Response> {
  const before = state();
  const res = await send(url, req);
  const key = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === 'idempotency-key')?.[1];
  expectConsistent(res, req.method ?? 'POST', req.path, before, key);
  return res;
}
const check = (req: Parameters<typeof answer>[0]): Promise<void> => answer(req).then(() => undefined);

/** Valid changes, the same with one field replaced by anything, and objects of arbitrary values. */
const plausible = fc.record({ product_id: fc.integer({ min: 1, max: 6 }), quantity: fc.integer({ min: 1, max: 3 }) });
const stockBodies = fc.oneof(
  plausible,
  fc.tuple(plausible, fc.constantFrom(...KEYS), anyValue).map(([change, key, value]) => ({ ...change, [key]: value })),
  withKeys(KEYS),
);

const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');
const route = fc.constantFrom(...ROUTES);

describe('hostile input to inventory-service: a 2xx or a 4xx JSON error, never a 5xx; refused changes nothing', () => {
  it('arbitrary JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(route, fc.jsonValue(), (path, body) =>
        check({ path, headers: { 'content-type': 'application/json' }, body: json(body) }),
      ),
      RUNS,
    );
  });

  it('objects with the right keys and arbitrary values, with or without an Idempotency-Key', async () => {
    const key = fc.option(fc.oneof(fc.stringMatching(/^[!-~]{1,20}$/), headerValue), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(route, stockBodies, key, (path, body, idempotencyKey) =>
        check({
          path,
          headers: {
            'content-type': 'application/json',
            ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
          },
          body: json(body),
        }),
      ),
      RUNS,
    );
    expect(tally.counts.accepted).toBeGreaterThan(0);
    expect(tally.counts.refused).toBeGreaterThan(0);
  });

  it('number literals at the edges (-0, 1e309, MAX_SAFE_INTEGER + 2, 1E2, ...)', async () => {
    await fc.assert(
      fc.asyncProperty(route, rawNumber, rawNumber, (path, id, quantity) =>
        check({
          path,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(`{"product_id": ${id}, "quantity": ${quantity}}`),
        }),
      ),
      RUNS,
    );
  });

  it('query strings', async () => {
    const target = fc.constantFrom('POST /reduce-stock', 'POST /restock', 'GET /list-products', 'GET /health');
    await fc.assert(
      fc.asyncProperty(target, queryString(KEYS), (t, query) => {
        const [method, path] = t.split(' ') as [string, string];
        return check({ method, path: `${path}?${query}` });
      }),
      RUNS,
    );
  });

  it('arbitrary header values, on every route', async () => {
    const target = fc.constantFrom(
      'POST /reduce-stock',
      'POST /restock',
      'GET /list-products',
      'GET /health',
      'GET /nope',
    );
    await fc.assert(
      fc.asyncProperty(target, headers, withKeys(KEYS), (t, hdrs, body) => {
        const [method, path] = t.split(' ') as [string, string];
        return check({
          method,
          path,
          headers: { 'content-type': 'application/json', ...hdrs },
          body: method === 'POST' ? json(body) : undefined,
        });
      }),
      RUNS,
    );
  });

  it('content types and charsets (json, text, form, garbage, latin1, utf-16), body bytes in any encoding', async () => {
    const bodies = stockBodies.chain((b) => encodedBody(JSON.stringify(b)));
    await fc.assert(
      fc.asyncProperty(route, contentType, bodies, (path, type, body) =>
        check({ path, headers: { 'content-type': type }, body }),
      ),
      RUNS,
    );
  });

  it('content types, charsets: JSON in UTF-8/16 is read, latin1 is 415, text and forms carry no fields', async () => {
    const text = '{"product_id": 5}';
    const cases = charsetCases(text, 200);
    for (const [type, bytes, status] of cases) {
      expect(
        (await answer({ path: '/reduce-stock', headers: { 'content-type': type }, body: bytes })).status,
        type,
      ).toBe(status);
    }
  });

  it('content encodings: unknown ones 415, broken gzip 400, a gzip bomb 413', async () => {
    const valid = Buffer.from('{"product_id": 4, "quantity": 1}');
    await check({
      path: '/reduce-stock',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(valid),
    });
    await check({
      path: '/reduce-stock',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: valid,
    });
    await check({
      path: '/reduce-stock',
      headers: { 'content-type': 'application/json', 'content-encoding': 'x-garbage' },
      body: valid,
    });
    const bomb = gzipSync(`{"product_id": 4, "pad": "${'x'.repeat(5_000_000)}"}`);
    expect(bomb.length).toBeLessThan(16 * 1024);
    const before = state();
    const res = await send(svc.app, {
      path: '/reduce-stock',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expectConsistent(res, 'POST', '/reduce-stock', before);
  });

  it('arbitrary methods on every route', async () => {
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');
    const path = fc.constantFrom(
      '/reduce-stock',
      '/restock',
      '/list-products',
      '/health',
      '/',
      '/%',
      '/..%2f..%2fetc/passwd',
      '/reduce-stock/',
    );
    await fc.assert(
      fc.asyncProperty(method, path, withKeys(KEYS), async (m, p, body) => {
        const before = state();
        const res = await send(url, {
          method: m,
          path: p,
          headers: { 'content-type': 'application/json' },
          body: m === 'HEAD' ? undefined : json(body),
        });
        // (A HEAD body would go out unframed -- superagent sets no Content-Length for HEAD -- and read as a second,
        // malformed request.) Express answers OPTIONS itself with the allowed methods (200, text): not an error,
        // and changes nothing.
        if (m === 'OPTIONS' && res.status === 200) expect(state()).toEqual(before);
        else expectConsistent(res, m, p, before);
      }),
      RUNS,
    );
  });
});

describe('limits of inventory-service', () => {
  const reduce = (body: Record<string, unknown>) => request(svc.app).post('/reduce-stock').send(body);

  it('quantity is whole, in [1, 10000]: 10000 passes validation (409: not that much stock), 10001 is 400', async () => {
    // The properties above may have restocked product 4 past 10000: take it back under first.
    while (state().stock.get(4)! >= 10_000)
      await reduce({ product_id: 4, quantity: Math.min(10_000, state().stock.get(4)! - 9_999) });
    const before = state();
    expect((await reduce({ product_id: 4, quantity: 10_000 })).body.error.code).toBe('insufficient_stock');
    expect((await reduce({ product_id: 4, quantity: 10_001 })).status).toBe(400);
    expect((await reduce({ product_id: 4, quantity: 0 })).status).toBe(400);
    expect((await request(svc.app).post('/restock').send({ product_id: 4, quantity: 10_001 })).status).toBe(400);
    expect(state()).toEqual(before);
  });

  it('product_id is a whole number in [1, 2^31-1]', async () => {
    expect((await reduce({ product_id: 2_147_483_647 })).status).toBe(404);
    expect((await reduce({ product_id: 2_147_483_648 })).status).toBe(400);
    expect((await reduce({ product_id: Number.MAX_SAFE_INTEGER })).status).toBe(400);
    expect((await reduce({ product_id: '9'.repeat(16) })).status).toBe(400);
  });

  it('"  7  " (trimmed digits) is a number, "0x10" and "1e2" are not', async () => {
    expect((await request(svc.app).post('/reduce-stock?product_id=%20%205%20%20&quantity=%201%20')).status).toBe(200);
    expect((await reduce({ product_id: 5, quantity: '0x10' })).status).toBe(400);
    expect((await reduce({ product_id: 5, quantity: '1e2' })).status).toBe(400);
    expect((await reduce({ product_id: 5, quantity: -0 })).status).toBe(400);
  });

  it('an Idempotency-Key is 1-128 printable ASCII characters', async () => {
    await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'k'.repeat(128))
      .send({ product_id: 5 })
      .expect(200);
    await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'k'.repeat(129))
      .send({ product_id: 5 })
      .expect(400);
    await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'caf\u00e9')
      .send({ product_id: 5 })
      .expect(400);
  });

  it('a body of 16 KiB is read, one byte more is 413', async () => {
    const body = (size: number) => {
      const head = '{"product_id": 5, "pad": "';
      return Buffer.from(head + 'x'.repeat(size - head.length - 2) + '"}');
    };
    expect(body(16 * 1024).length).toBe(16_384);
    const before = state();
    const at = await send(svc.app, {
      path: '/reduce-stock',
      headers: { 'content-type': 'application/json' },
      body: body(16_384),
    });
    expect(at.status).toBe(200);
    const over = await send(svc.app, {
      path: '/reduce-stock',
      headers: { 'content-type': 'application/json' },
      body: body(16_385),
    });
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('payload_too_large');
    expect(state().stock.get(5)).toBe(before.stock.get(5)! - 1);
  });

  it('deep nesting: 10 000 levels are 413; 1 000 object or 8 000 array levels (under the limit) 400', async () => {
    const nested = (depth: number) => Buffer.from('{"product_id":'.repeat(depth) + '1' + '}'.repeat(depth));
    const arrays = (depth: number) => Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    for (const [body, status] of [
      [nested(10_000), 413],
      [arrays(10_000), 413],
      [nested(1_000), 400],
      [arrays(8_000), 400],
    ] as const) {
      const before = state();
      const res = await send(svc.app, { path: '/reduce-stock', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(status);
      expectConsistent(res, 'POST', '/reduce-stock', before);
    }
  });
});
