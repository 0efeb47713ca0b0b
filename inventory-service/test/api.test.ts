import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@ostack/telemetry';
import { buildInventoryService, type InventoryService } from '../src/app';
import { readConfig } from '../src/config';
import { SEED } from '../src/store';

const logger = createLogger('inventory-service', 'error');

function start(env: Record<string, string> = {}): InventoryService {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-'));
  return buildInventoryService(readConfig({ DATABASE_PATH: join(dir, 'inventory.db'), ...env }), logger, '9.9.9');
}

let svc: InventoryService;
beforeEach(() => {
  svc = start();
});
afterEach(() => svc.close());

const stockOf = async (id: number) =>
  ((await request(svc.app).get('/list-products')).body.products as { id: number; stock: number }[]).find(
    (p) => p.id === id,
  )!.stock;

describe('inventory-service endpoints', () => {
  it('GET /health names the service and its version', async () => {
    const res = await request(svc.app).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', service: 'inventory-service', version: '9.9.9' });
  });

  it('GET /list-products returns the seed products', async () => {
    const res = await request(svc.app).get('/list-products').expect(200);
    expect(res.body.products).toEqual([
      { id: 1, name: 'Laptop', stock: 8 },
      { id: 2, name: 'Smartphone', stock: 24 },
      { id: 3, name: 'Tablet', stock: 15 },
      { id: 4, name: 'Headphones', stock: 50 },
      { id: 5, name: 'Smartwatch', stock: 30 },
    ]);
  });

  it('POST /reduce-stock takes units from a JSON body, quantity defaulting to 1', async () => {
    await request(svc.app).post('/reduce-stock').send({ product_id: 3, quantity: 4 }).expect(200, {
      product_id: 3,
      name: 'Tablet',
      quantity: 4,
      stock: 11,
      replayed: false,
    });
    const res = await request(svc.app).post('/reduce-stock').send({ product_id: 3 }).expect(200);
    expect(res.body.stock).toBe(10);
  });

  it('POST /reduce-stock takes its fields from query parameters too', async () => {
    const res = await request(svc.app).post('/reduce-stock?product_id=2&quantity=5').expect(200);
    expect(res.body.stock).toBe(19);
    expect(await stockOf(2)).toBe(19);
  });

  it('unknown product -> 404, not enough stock -> 409, and neither changes stock', async () => {
    const missing = await request(svc.app).post('/reduce-stock').send({ product_id: 42 }).expect(404);
    expect(missing.body.error.code).toBe('product_not_found');
    const short = await request(svc.app).post('/reduce-stock').send({ product_id: 1, quantity: 9 }).expect(409);
    expect(short.body.error).toMatchObject({ code: 'insufficient_stock', available: 8 });
    expect(await stockOf(1)).toBe(8);
  });

  it('stock can be taken to exactly zero, then no further', async () => {
    await request(svc.app).post('/reduce-stock').send({ product_id: 1, quantity: 8 }).expect(200);
    await request(svc.app).post('/reduce-stock').send({ product_id: 1 }).expect(409);
    expect(await stockOf(1)).toBe(0);
  });

  it('one idempotency key, one reduction: replays answer the same, another reduction under it is 422', async () => {
    const once = await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'k-1')
      .send({ product_id: 5, quantity: 2 })
      .expect(200);
    const again = await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'k-1')
      .send({ product_id: 5, quantity: 2 })
      .expect(200);
    expect(once.body).toMatchObject({ stock: 28, replayed: false });
    expect(again.body).toMatchObject({ stock: 28, replayed: true });
    await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'k-1')
      .send({ product_id: 5, quantity: 3 })
      .expect(422);
    expect(await stockOf(5)).toBe(28);
  });

  it('POST /restock adds units', async () => {
    const res = await request(svc.app).post('/restock').send({ product_id: 1, quantity: 5 }).expect(200);
    expect(res.body.stock).toBe(13);
    await request(svc.app).post('/restock').send({ product_id: 77, quantity: 5 }).expect(404);
  });

  it('stock survives a restart (same database file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inventory-'));
    const config = readConfig({ DATABASE_PATH: join(dir, 'nested', 'inventory.db') });
    const first = buildInventoryService(config, logger, '1');
    await request(first.app).post('/reduce-stock').send({ product_id: 4, quantity: 10 }).expect(200);
    await first.close();
    const second = buildInventoryService(config, logger, '1');
    const res = await request(second.app).get('/list-products').expect(200);
    expect(res.body.products.find((p: { id: number }) => p.id === 4).stock).toBe(40);
    await second.close();
  });

  it("an empty variable (compose's `${VAR:-}`) counts as unset; a bad one is refused at start", () => {
    expect(readConfig({ PORT: '', DATABASE_PATH: '', INVENTORY_FAULT_ERROR_RATE: '' })).toMatchObject({
      PORT: 8010,
      DATABASE_PATH: 'data/inventory.db',
      INVENTORY_FAULT_ERROR_RATE: 0,
    });
    expect(() => readConfig({ INVENTORY_FAULT_ERROR_RATE: '2' })).toThrow();
  });

  it('unknown routes are 404 JSON', async () => {
    const res = await request(svc.app).get('/nope').expect(404).expect('content-type', /json/);
    expect(res.body.error.code).toBe('route_not_found');
  });

  it('sends standard security headers and no x-powered-by', async () => {
    const res = await request(svc.app).get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('bad input to POST /reduce-stock is a 400 JSON error and changes nothing', () => {
  const cases: [string, unknown][] = [
    ['missing product_id', { quantity: 1 }],
    ['negative quantity', { product_id: 1, quantity: -1 }],
    ['zero quantity', { product_id: 1, quantity: 0 }],
    ['fractional quantity', { product_id: 1, quantity: 1.5 }],
    ['non-numeric quantity', { product_id: 1, quantity: 'two' }],
    ['huge quantity', { product_id: 1, quantity: 1e12 }],
    ['quantity as boolean', { product_id: 1, quantity: true }],
    ['product_id as array', { product_id: [1], quantity: 1 }],
    ['product_id as object', { product_id: { $gt: 0 }, quantity: 1 }],
    ['product_id null', { product_id: null }],
    ['product_id zero', { product_id: 0 }],
    ['product_id exponent string', { product_id: '1e3' }],
    ['body is an array', [1, 2]],
  ];
  it.each(cases)('%s', async (_name, body) => {
    const res = await request(svc.app)
      .post('/reduce-stock')
      .send(body as object)
      .expect(400)
      .expect('content-type', /json/);
    expect(res.body.error.code).toMatch(/invalid_/);
    expect(typeof res.body.error.message).toBe('string');
    expect(await stockOf(1)).toBe(SEED[0]!.stock);
  });

  it('query parameters are validated the same way', async () => {
    await request(svc.app).post('/reduce-stock?product_id=1&quantity=-3').expect(400);
    await request(svc.app).post('/reduce-stock?product_id=abc').expect(400);
    await request(svc.app).post('/reduce-stock?product_id=1&product_id=2').expect(400);
    expect(await stockOf(1)).toBe(8);
  });

  it('malformed JSON is 400, an oversized body 413', async () => {
    const bad = await request(svc.app)
      .post('/reduce-stock')
      .set('content-type', 'application/json')
      .send('{"product_id":')
      .expect(400);
    expect(bad.body.error.code).toBe('malformed_json');
    const big = await request(svc.app)
      .post('/reduce-stock')
      .send({ product_id: 1, pad: 'x'.repeat(64 * 1024) })
      .expect(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });

  it('an over-long or non-ASCII idempotency key is 400, naming the header', async () => {
    for (const key of ['k'.repeat(129), 'caf\u00e9']) {
      const res = await request(svc.app)
        .post('/reduce-stock')
        .set('Idempotency-Key', key)
        .send({ product_id: 1 })
        .expect(400);
      expect(res.body.error.issues[0].field).toBe('idempotency-key');
    }
    await request(svc.app)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'k'.repeat(128))
      .send({ product_id: 1 })
      .expect(200);
    expect(await stockOf(1)).toBe(7);
  });
});

describe('concurrency', () => {
  it('30 parallel reductions, 8 in stock: exactly 8 succeed, 22 get 409, stock ends at 0', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, () => request(svc.app).post('/reduce-stock').send({ product_id: 1 })),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 200)).toHaveLength(8);
    expect(codes.filter((c) => c === 409)).toHaveLength(22);
    expect(await stockOf(1)).toBe(0);
  });
});

describe('fault toggles', () => {
  it('INVENTORY_FAULT_ERROR_RATE=1: stock requests get 500 JSON, nothing changes; /health unaffected', async () => {
    const faulty = start({ INVENTORY_FAULT_ERROR_RATE: '1' });
    const res = await request(faulty.app).post('/reduce-stock').send({ product_id: 1 }).expect(500);
    expect(res.body.error.code).toBe('internal_error');
    await request(faulty.app).get('/health').expect(200);
    await faulty.close();
  });

  it('INVENTORY_FAULT_LATENCY_MS delays stock requests', async () => {
    const slow = start({ INVENTORY_FAULT_LATENCY_MS: '300' });
    const t0 = Date.now();
    await request(slow.app).get('/list-products').expect(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await slow.close();
  });
});
