// One outcome per idempotency key: the first decision for a key (stock reduced, or refused with its reason) is the
// only answer that key ever gets, whatever the stock has become since.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createLogger } from '@ostack/telemetry';
import { eachBackend } from '@ostack/test-support/backends';
import { buildInventoryService, type InventoryService } from '../src/app';
import { readConfig } from '../src/config';

const logger = createLogger('inventory-service', 'error');
const dbPath = () => join(mkdtempSync(join(tmpdir(), 'inventory-')), 'inventory.db');

/** How many outcomes the database holds, on either backend. */
async function recordedOutcomes(env: Record<string, string>): Promise<number> {
  if (env.DATABASE_URL) {
    const client = new pg.Client(env.DATABASE_URL);
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM stock_decisions');
    await client.end();
    return Number(rows[0]!.n);
  }
  const db = new DatabaseSync(env.DATABASE_PATH!, { readOnly: true });
  const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const n = count('stock_reductions') + count('stock_refusals');
  db.close();
  return n;
}

eachBackend((backend) => {
  let svc: InventoryService;
  let env: Record<string, string>;
  beforeEach(async () => {
    env = await backend.database('inventory');
    svc = buildInventoryService(readConfig(env), logger, 'test');
    await svc.store.ready;
  });
  afterEach(() => svc.close());

  const reduce = (key: string, body: object) =>
    request(svc.app).post('/reduce-stock').set('Idempotency-Key', key).send(body);
  const restock = (product_id: number, quantity: number) =>
    request(svc.app).post('/restock').send({ product_id, quantity }).expect(200);
  const stockOf = async (id: number) => (await svc.store.getProduct(id))!.stock;

  describe('one outcome per idempotency key', () => {
    it('a refusal is recorded with its key: after a restock the same key is refused again, from the record', async () => {
      const first = await reduce('k-1', { product_id: 1, quantity: 9 }).expect(409);
      expect(first.body.error).toMatchObject({ code: 'insufficient_stock', available: 8, replayed: false });
      await restock(1, 5); // now 13: enough for 9
      const again = await reduce('k-1', { product_id: 1, quantity: 9 }).expect(409);
      expect(again.body.error).toMatchObject({ code: 'insufficient_stock', available: 8, replayed: true });
      expect(again.body.error.message).toBe(first.body.error.message);
      expect(await stockOf(1)).toBe(13);
      // A new key is decided against the current stock.
      await reduce('k-2', { product_id: 1, quantity: 9 }).expect(200);
      expect(await stockOf(1)).toBe(4);
    });

    it('an unknown product refused under a key stays refused under it', async () => {
      await reduce('k-404', { product_id: 99 }).expect(404);
      const again = await reduce('k-404', { product_id: 99 }).expect(404);
      expect(again.body.error).toMatchObject({ code: 'product_not_found', replayed: true });
    });

    it('a reduction stays one under its key, whatever the stock: sold out since, it still answers 200', async () => {
      await reduce('k-3', { product_id: 1, quantity: 8 }).expect(200);
      const again = await reduce('k-3', { product_id: 1, quantity: 8 }).expect(200);
      expect(again.body).toMatchObject({ stock: 0, replayed: true });
    });

    it('the key of a refusal used for another reduction is 422 and changes nothing', async () => {
      await reduce('k-4', { product_id: 1, quantity: 9 }).expect(409);
      await reduce('k-4', { product_id: 1, quantity: 1 }).expect(422);
      await reduce('k-4', { product_id: 2, quantity: 9 }).expect(422);
      expect([await stockOf(1), await stockOf(2)]).toEqual([8, 24]);
      await reduce('k-4', { product_id: 1, quantity: 9 }).expect(409);
    });

    it('requests without a key are decided each time against the current stock, and not recorded', async () => {
      await request(svc.app).post('/reduce-stock').send({ product_id: 1, quantity: 9 }).expect(409);
      await restock(1, 1);
      await request(svc.app).post('/reduce-stock').send({ product_id: 1, quantity: 9 }).expect(200);
      expect(await recordedOutcomes(env)).toBe(0);
    });
  });
});

describe('a database from before refusals were recorded', () => {
  it('opens with its stock and reductions, replays those, and records refusals from then on', async () => {
    const oldPath = dbPath();
    const old = new DatabaseSync(oldPath);
    // The schema as the previous version created it.
    old.exec(`
      CREATE TABLE products (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        stock INTEGER NOT NULL CHECK (stock >= 0)
      );
      CREATE TABLE stock_reductions (
        idempotency_key TEXT PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      INSERT INTO products VALUES
        (1, 'Laptop', 3), (2, 'Smartphone', 24), (3, 'Tablet', 15), (4, 'Headphones', 50), (5, 'Smartwatch', 30);
      INSERT INTO stock_reductions (idempotency_key, product_id, quantity) VALUES ('old-key', 1, 5);
    `);
    old.close();

    const upgraded = buildInventoryService(readConfig({ DATABASE_PATH: oldPath }), logger, 'test');
    await upgraded.store.ready;
    try {
      const replay = await request(upgraded.app)
        .post('/reduce-stock')
        .set('Idempotency-Key', 'old-key')
        .send({ product_id: 1, quantity: 5 })
        .expect(200);
      expect(replay.body).toMatchObject({ stock: 3, replayed: true });
      await request(upgraded.app)
        .post('/reduce-stock')
        .set('Idempotency-Key', 'new-key')
        .send({ product_id: 1, quantity: 4 })
        .expect(409);
      await request(upgraded.app).post('/restock').send({ product_id: 1, quantity: 1 }).expect(200);
      await request(upgraded.app)
        .post('/reduce-stock')
        .set('Idempotency-Key', 'new-key')
        .send({ product_id: 1, quantity: 4 })
        .expect(409);
      expect((await upgraded.store.getProduct(1))!.stock).toBe(4);
    } finally {
      await upgraded.close();
    }
  });
});
