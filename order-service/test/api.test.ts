import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InventoryService } from '@ostack/inventory-service/app';
import type { OrderService } from '../src/app';
import { inventoryService, listen, type Listening, orderService, tempDb } from './harness';

let inventory: InventoryService;
let inventoryHttp: Listening;
let orders: OrderService;
let ordersDb: string;

beforeEach(async () => {
  inventory = inventoryService();
  inventoryHttp = await listen(inventory.app);
  ordersDb = tempDb('orders');
  orders = orderService(inventoryHttp.url, {}, ordersDb);
});
afterEach(async () => {
  await inventoryHttp.close();
  await inventory.close();
  await orders.close();
});

const stock = async (id: number) =>
  ((await request(orders.app).get('/list-products').expect(200)).body.products as { id: number; stock: number }[]).find(
    (p) => p.id === id,
  )!.stock;

describe('order-service endpoints', () => {
  it('GET /health', async () => {
    const res = await request(orders.app).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', service: 'order-service', version: 'test' });
  });

  it('GET /list-products asks inventory-service', async () => {
    await request(inventoryHttp.url).post('/reduce-stock').send({ product_id: 2, quantity: 4 }).expect(200);
    const res = await request(orders.app).get('/list-products').expect(200);
    expect(res.body.products).toHaveLength(5);
    expect(res.body.products[1]).toEqual({ id: 2, name: 'Smartphone', stock: 20 });
  });

  it('POST /order-product reduces stock, records the order and answers 201', async () => {
    const res = await request(orders.app)
      .post('/order-product')
      .send({ username: 'ann', product_id: 3, quantity: 2 })
      .expect(201);
    expect(res.body.order).toMatchObject({ username: 'ann', product_id: 3, quantity: 2, status: 'confirmed' });
    expect(await stock(3)).toBe(13);
    const list = await request(orders.app).get('/list-orders').expect(200);
    expect(list.body.orders.map((o: { id: number }) => o.id)).toEqual([res.body.order.id]);
  });

  it('takes its fields from query parameters too, quantity defaulting to 1', async () => {
    const res = await request(orders.app).post('/order-product?username=bob&product_id=5').expect(201);
    expect(res.body.order).toMatchObject({ username: 'bob', product_id: 5, quantity: 1 });
    expect(await stock(5)).toBe(29);
  });

  it('GET /list-orders lists newest first; ?status=all shows rejected ones too', async () => {
    const a = await request(orders.app).post('/order-product').send({ username: 'a', product_id: 1 }).expect(201);
    const b = await request(orders.app).post('/order-product').send({ username: 'b', product_id: 2 }).expect(201);
    await request(orders.app).post('/order-product').send({ username: 'c', product_id: 99 }).expect(404);
    const confirmed = await request(orders.app).get('/list-orders').expect(200);
    expect(confirmed.body.orders.map((o: { id: number }) => o.id)).toEqual([b.body.order.id, a.body.order.id]);
    const all = await request(orders.app).get('/list-orders?status=all').expect(200);
    expect(all.body.orders.map((o: { status: string }) => o.status)).toEqual(['rejected', 'confirmed', 'confirmed']);
    await request(orders.app).get('/list-orders?status=bogus').expect(400);
    await request(orders.app).get('/list-orders?limit=0').expect(400);
  });

  it("inventory's 404 and 409 come back as 404 and 409 with a clear message; no order is confirmed", async () => {
    const missing = await request(orders.app)
      .post('/order-product')
      .send({ username: 'x', product_id: 404 })
      .expect(404);
    expect(missing.body.error).toMatchObject({ code: 'product_not_found', message: 'product 404 does not exist' });
    const short = await request(orders.app)
      .post('/order-product')
      .send({ username: 'x', product_id: 1, quantity: 9 })
      .expect(409);
    expect(short.body.error.code).toBe('insufficient_stock');
    expect(short.body.error.message).toMatch(/only 8/);
    expect((await request(orders.app).get('/list-orders').expect(200)).body.orders).toEqual([]);
    expect(await stock(1)).toBe(8);
  });

  it('the same Idempotency-Key places one order, however often it is sent', async () => {
    const first = await request(orders.app)
      .post('/order-product')
      .set('Idempotency-Key', 'order-7')
      .send({ username: 'u', product_id: 4, quantity: 3 })
      .expect(201);
    const again = await request(orders.app)
      .post('/order-product')
      .set('Idempotency-Key', 'order-7')
      .send({ username: 'u', product_id: 4, quantity: 3 })
      .expect(200);
    expect(again.body).toMatchObject({ replayed: true, order: { id: first.body.order.id } });
    await request(orders.app)
      .post('/order-product')
      .set('Idempotency-Key', 'order-7')
      .send({ username: 'u', product_id: 4, quantity: 4 })
      .expect(422);
    expect(await stock(4)).toBe(47);
  });

  it('a refused order sent again under its Idempotency-Key: 404 stays 404, 409 stays 409', async () => {
    for (const [body, status, code] of [
      [{ username: 'u', product_id: 99 }, 404, 'product_not_found'],
      [{ username: 'u', product_id: 1, quantity: 9 }, 409, 'insufficient_stock'],
    ] as const) {
      const key = `refused-${status}`;
      const first = await request(orders.app)
        .post('/order-product')
        .set('Idempotency-Key', key)
        .send(body)
        .expect(status);
      const again = await request(orders.app)
        .post('/order-product')
        .set('Idempotency-Key', key)
        .send(body)
        .expect(status);
      expect([first.body.error.code, again.body.error.code]).toEqual([code, code]);
      // Both name the order, rejected.
      expect(again.body.error).toMatchObject({ order_id: first.body.error.order_id, order_status: 'rejected' });
      expect(first.body.error.order_id).toEqual(expect.any(Number));
    }
    // A restock changes nothing for the key refused for want of stock: its outcome is decided.
    await request(inventoryHttp.url).post('/restock').send({ product_id: 1, quantity: 5 }).expect(200);
    await request(orders.app)
      .post('/order-product')
      .set('Idempotency-Key', 'refused-409')
      .send({ username: 'u', product_id: 1, quantity: 9 })
      .expect(409);
  });

  it('a key inventory holds for another reduction: 409 idempotency_key_reused, first time and replayed', async () => {
    await request(inventoryHttp.url)
      .post('/reduce-stock')
      .set('Idempotency-Key', 'taken')
      .send({ product_id: 2 })
      .expect(200);
    const body = { username: 'u', product_id: 3, quantity: 2 };
    const first = await request(orders.app)
      .post('/order-product')
      .set('Idempotency-Key', 'taken')
      .send(body)
      .expect(409);
    const again = await request(orders.app)
      .post('/order-product')
      .set('Idempotency-Key', 'taken')
      .send(body)
      .expect(409);
    expect([first.body.error.code, again.body.error.code]).toEqual([
      'idempotency_key_reused',
      'idempotency_key_reused',
    ]);
    expect(await orders.store.findByKey('taken')).toMatchObject({ status: 'rejected', reason: 'idempotency_conflict' });
    expect(await stock(3)).toBe(15);
  });

  it('unknown routes are 404 JSON; no x-powered-by', async () => {
    const res = await request(orders.app).get('/orders').expect(404);
    expect(res.body.error.code).toBe('route_not_found');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('bad input to POST /order-product is a 400 JSON error and changes nothing', () => {
  const valid = { username: 'ann', product_id: 1, quantity: 1 };
  const cases: [string, unknown][] = [
    ['missing username', { product_id: 1 }],
    ['empty username', { ...valid, username: '   ' }],
    ['username too long', { ...valid, username: 'a'.repeat(65) }],
    ['username with control characters', { ...valid, username: 'a\u0000b' }],
    ['username as number', { ...valid, username: 42 }],
    ['missing product_id', { username: 'ann' }],
    ['negative quantity', { ...valid, quantity: -2 }],
    ['zero quantity', { ...valid, quantity: 0 }],
    ['fractional quantity', { ...valid, quantity: 0.5 }],
    ['non-numeric quantity', { ...valid, quantity: 'lots' }],
    ['huge quantity', { ...valid, quantity: 1_000_001 }],
    ['quantity as array', { ...valid, quantity: [1] }],
    ['product_id as boolean', { ...valid, product_id: false }],
    ['product_id NaN-like string', { ...valid, product_id: 'NaN' }],
    ['body is a JSON string', 'hello'],
  ];
  it.each(cases)('%s', async (_name, body) => {
    const req = request(orders.app).post('/order-product');
    const res = await (
      typeof body === 'string'
        ? req.set('content-type', 'application/json').send(JSON.stringify(body))
        : req.send(body as object)
    )
      .expect(400)
      .expect('content-type', /json/);
    expect(res.body.error.code).toMatch(/^(invalid_request|invalid_body|malformed_json)$/);
    expect(await stock(1)).toBe(8);
    expect((await request(orders.app).get('/list-orders?status=all')).body.orders).toEqual([]);
  });

  it('malformed JSON is 400; an oversized body 413', async () => {
    await request(orders.app)
      .post('/order-product')
      .set('content-type', 'application/json')
      .send('{"username": "a",')
      .expect(400);
    await request(orders.app)
      .post('/order-product')
      .send({ ...valid, pad: 'x'.repeat(100_000) })
      .expect(413);
  });
});

describe('inventory-service down or slow', () => {
  it('inventory stopped -> 503 quickly, order left pending, completed once inventory is back', async () => {
    await inventoryHttp.close();
    const t0 = Date.now();
    const res = await request(orders.app).post('/order-product').send({ username: 'ann', product_id: 2 }).expect(503);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(res.body.error).toMatchObject({ code: 'inventory_unavailable', order_status: 'pending' });
    await request(orders.app).get('/list-products').expect(503);

    inventoryHttp = await listen(inventory.app);
    await orders.close();
    // A new order-service on the same database (as after a restart) completes the pending order.
    orders = orderService(inventoryHttp.url, {}, ordersDb);
    expect(await orders.orders.reconcile(-1000, 60_000)).toBe(1);
    const list = await request(orders.app).get('/list-orders').expect(200);
    expect(list.body.orders).toMatchObject([{ id: res.body.error.order_id, status: 'confirmed' }]);
    expect(await stock(2)).toBe(23);
  });

  it('inventory slower than the timeout -> 503 within the timeout, never a hung request', async () => {
    const slow = inventoryService({ INVENTORY_FAULT_LATENCY_MS: '3000' });
    const slowHttp = await listen(slow.app);
    const impatient = orderService(slowHttp.url, { INVENTORY_TIMEOUT_MS: '300' });
    const t0 = Date.now();
    const res = await request(impatient.app)
      .post('/order-product')
      .send({ username: 'ann', product_id: 1 })
      .expect(503);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(res.body.error.message).toMatch(/in time/);
    await slowHttp.close();
    await slow.close();
    await impatient.close();
  });
});

describe('concurrency', () => {
  it('30 parallel orders for a product with stock 8: exactly 8 succeed, 22 get 409, stock 0', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request(orders.app)
          .post('/order-product')
          .send({ username: `u${i}`, product_id: 1 }),
      ),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 201)).toHaveLength(8);
    expect(codes.filter((c) => c === 409)).toHaveLength(22);
    expect(await stock(1)).toBe(0);
    const confirmed = (await request(orders.app).get('/list-orders').expect(200)).body.orders;
    expect(confirmed).toHaveLength(8);
  });
});
