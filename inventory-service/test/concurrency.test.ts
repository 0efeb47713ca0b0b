// Two replicas of inventory-service on one PostgreSQL, racing for real: each request runs its transaction on its
// own connection, all sent at once, so PostgreSQL (not a JavaScript event loop) decides the interleaving. The same
// tests run against a store that checks, then writes (the obvious port of the SQLite store's logic): it must fail
// them, or they would prove nothing.
import { createLogger } from '@ostack/telemetry';
import { databaseEnv } from '@ostack/service-kit';
import { postgresMissing, PostgresServer } from '@ostack/test-support/postgres';
import pg from 'pg';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgInventoryStore } from '../src/postgres-store';
import type { Product, Reduction } from '../src/store';

const ROUNDS = 15;
const logger = createLogger('inventory-service', 'error');
logger.silent = true;

/** What the races need of a store, and a look at what it recorded. */
interface Replica {
  reduceStock(productId: number, quantity: number, key?: string): Promise<Reduction>;
  close(): Promise<void>;
}
interface Contender {
  name: string;
  replicas: [Replica, Replica];
  /** Outcomes recorded under the key (one row per outcome). */
  recorded(key: string): Promise<number>;
  setStock(stock: number): Promise<void>;
  stock(): Promise<number>;
}

/**
 * Checks, then writes: looks the key up in its reductions and refusals, reads the stock, and writes the new stock
 * and the outcome. Right with one writer at a time (SQLite); under READ COMMITTED two requests both see no record
 * and the same stock.
 */
class CheckThenWriteStore implements Replica {
  constructor(private readonly pool: pg.Pool) {}

  static readonly SCHEMA = `
    CREATE TABLE products (id integer PRIMARY KEY, name text NOT NULL, stock bigint NOT NULL);
    CREATE TABLE stock_reductions (idempotency_key text PRIMARY KEY, product_id integer, quantity integer);
    CREATE TABLE stock_refusals (idempotency_key text PRIMARY KEY, product_id integer, quantity integer);
    INSERT INTO products VALUES (1, 'Laptop', 8);`;

  async reduceStock(productId: number, quantity: number, key?: string): Promise<Reduction> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (key) {
        const reduced = await client.query('SELECT 1 FROM stock_reductions WHERE idempotency_key = $1', [key]);
        const refused = await client.query('SELECT 1 FROM stock_refusals WHERE idempotency_key = $1', [key]);
        if (reduced.rowCount || refused.rowCount) {
          await client.query('COMMIT');
          const product = await this.product(productId);
          return reduced.rowCount
            ? { kind: 'reduced', product, replayed: true }
            : { kind: 'refused', reason: 'insufficient_stock', available: null, replayed: true };
        }
      }
      const product = (await client.query<Product>('SELECT id, name, stock FROM products WHERE id = $1', [productId]))
        .rows[0]!;
      let outcome: Reduction;
      if (product.stock >= quantity) {
        await client.query('UPDATE products SET stock = $1 WHERE id = $2', [product.stock - quantity, productId]);
        outcome = { kind: 'reduced', product: { ...product, stock: product.stock - quantity }, replayed: false };
      } else {
        outcome = { kind: 'refused', reason: 'insufficient_stock', available: product.stock, replayed: false };
      }
      if (key) {
        const table = outcome.kind === 'reduced' ? 'stock_reductions' : 'stock_refusals';
        await client.query(`INSERT INTO ${table} VALUES ($1, $2, $3)`, [key, productId, quantity]);
      }
      await client.query('COMMIT');
      return outcome;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async product(id: number): Promise<Product> {
    return (await this.pool.query<Product>('SELECT id, name, stock FROM products WHERE id = $1', [id])).rows[0]!;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

const missing = postgresMissing();
let server: PostgresServer;
const contenders: Contender[] = [];
const admin: pg.Client[] = [];

async function adminOf(url: string): Promise<pg.Client> {
  const client = new pg.Client(url);
  await client.connect();
  admin.push(client);
  return client;
}

beforeAll(async () => {
  if (missing) return;
  server = await PostgresServer.start();
  const settings = z.object(databaseEnv('unused')).parse({ DATABASE_POOL_MAX: '8' });

  const url = await server.createDatabase('inventory');
  const ours = await adminOf(url);
  const replicas: [PgInventoryStore, PgInventoryStore] = [
    new PgInventoryStore({ ...settings, DATABASE_URL: url }, logger),
    new PgInventoryStore({ ...settings, DATABASE_URL: url }, logger),
  ];
  await Promise.all(replicas.map((r) => r.ready));
  contenders.push({
    name: 'the PostgreSQL store',
    replicas,
    recorded: async (key) =>
      Number(
        (await ours.query('SELECT count(*) FROM stock_decisions WHERE idempotency_key = $1', [key])).rows[0].count,
      ),
    setStock: async (stock) => void (await ours.query('UPDATE products SET stock = $1 WHERE id = 1', [stock])),
    stock: async () => Number((await ours.query('SELECT stock FROM products WHERE id = 1')).rows[0].stock),
  });

  const naiveUrl = await server.createDatabase('naive');
  const naive = await adminOf(naiveUrl);
  await naive.query(CheckThenWriteStore.SCHEMA);
  const pool = () => new pg.Pool({ connectionString: naiveUrl, max: 8 });
  contenders.push({
    name: 'a check-then-write store',
    replicas: [new CheckThenWriteStore(pool()), new CheckThenWriteStore(pool())],
    recorded: async (key) =>
      Number(
        (
          await naive.query(
            `SELECT (SELECT count(*) FROM stock_reductions WHERE idempotency_key = $1) +
                    (SELECT count(*) FROM stock_refusals WHERE idempotency_key = $1) AS n`,
            [key],
          )
        ).rows[0].n,
      ),
    setStock: async (stock) => void (await naive.query('UPDATE products SET stock = $1 WHERE id = 1', [stock])),
    stock: async () => Number((await naive.query('SELECT stock FROM products WHERE id = 1')).rows[0].stock),
  });
  // Every connection open before the races start, so they start together.
  for (const c of contenders) await Promise.all(c.replicas.flatMap((r) => [1, 2, 3].map(() => warm(r))));
}, 60_000);

afterAll(async () => {
  for (const c of contenders) for (const r of c.replicas) await r.close();
  for (const client of admin) await client.end();
  await server?.stop();
});

const warm = (r: Replica) => r.reduceStock(99, 1).catch(() => undefined);

/** `n` requests at once, alternately at each replica; a thrown error is an outcome too (it would be a 500). */
function race(c: Contender, n: number, request: (i: number) => [number, number, string?]) {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      c.replicas[i % 2]!.reduceStock(...request(i)).then(
        (r) => (r.kind === 'reduced' ? 'reduced' : r.kind === 'refused' ? `refused ${r.reason}` : r.kind),
        (err: Error) => `error ${err.message}`,
      ),
    ),
  );
}

/** What went wrong over ROUNDS rounds of four requests with one key for the last unit of stock. */
async function sameKeyViolations(c: Contender): Promise<string[]> {
  const found: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await c.setStock(1);
    const key = `${c.name}-${round}`;
    const outcomes = await race(c, 4, () => [1, 1, key]);
    const recorded = await c.recorded(key);
    const stock = await c.stock();
    if (new Set(outcomes).size !== 1 || recorded !== 1 || stock !== (outcomes[0] === 'reduced' ? 0 : 1)) {
      found.push(`round ${round}: ${outcomes.join(', ')}; ${recorded} outcomes recorded; stock ${stock}`);
    }
  }
  return found;
}

/** What went wrong over ROUNDS rounds of eight requests with their own keys for the last three units. */
async function lastUnitsViolations(c: Contender): Promise<string[]> {
  const found: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await c.setStock(3);
    const outcomes = await race(c, 8, (i) => [1, 1, `${c.name}-units-${round}-${i}`]);
    const reduced = outcomes.filter((o) => o === 'reduced').length;
    const refused = outcomes.filter((o) => o === 'refused insufficient_stock').length;
    const stock = await c.stock();
    if (reduced !== 3 || refused !== 5 || stock !== 0) {
      found.push(`round ${round}: ${reduced} reduced, ${refused} refused, stock ${stock}: ${outcomes.join(', ')}`);
    }
  }
  return found;
}

describe.skipIf(missing)(
  `two replicas on one PostgreSQL, racing for real${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('one key sent four times at once for the last unit: one outcome, recorded once, stock taken once', async () => {
      expect(await sameKeyViolations(contenders[0]!)).toEqual([]);
    });

    it('eight keys at once for the last three units: three reduced, five refused, never oversold', async () => {
      expect(await lastUnitsViolations(contenders[0]!)).toEqual([]);
    });

    it('a check-then-write store fails both (the tests can fail)', async () => {
      const naive = contenders[1]!;
      expect((await sameKeyViolations(naive)).length, 'same key').toBeGreaterThan(0);
      expect((await lastUnitsViolations(naive)).length, 'last units').toBeGreaterThan(0);
    });
  },
);
