import type { DatabaseSync } from 'node:sqlite';
// node:sqlite is synchronous: the store's methods are async only to keep the contract's promises (and turn a
// thrown error into a rejection).
/* eslint-disable @typescript-eslint/require-await */
import { openDatabase, TracedSql } from '@ostack/service-kit';
import type { DbOperation } from '@ostack/telemetry';
import { type InventoryStore, type Product, type Reduction, type RefusalReason, SEED } from './store';

// Each statement with the operation and table its span is named for (`UPDATE products`).
const SQL = {
  list: { operation: 'SELECT', collection: 'products', query: 'SELECT id, name, stock FROM products ORDER BY id' },
  get: { operation: 'SELECT', collection: 'products', query: 'SELECT id, name, stock FROM products WHERE id = ?' },
  // The guard in the WHERE clause is what makes a reduction atomic: it never takes stock below zero.
  reduce: {
    operation: 'UPDATE',
    collection: 'products',
    query: 'UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?',
  },
  restock: { operation: 'UPDATE', collection: 'products', query: 'UPDATE products SET stock = stock + ? WHERE id = ?' },
  findReduction: {
    operation: 'SELECT',
    collection: 'stock_reductions',
    query: 'SELECT product_id, quantity FROM stock_reductions WHERE idempotency_key = ?',
  },
  recordReduction: {
    operation: 'INSERT',
    collection: 'stock_reductions',
    query: 'INSERT INTO stock_reductions (idempotency_key, product_id, quantity) VALUES (?, ?, ?)',
  },
  findRefusal: {
    operation: 'SELECT',
    collection: 'stock_refusals',
    query: 'SELECT product_id, quantity, reason, available FROM stock_refusals WHERE idempotency_key = ?',
  },
  recordRefusal: {
    operation: 'INSERT',
    collection: 'stock_refusals',
    query:
      'INSERT INTO stock_refusals (idempotency_key, product_id, quantity, reason, available) VALUES (?, ?, ?, ?, ?)',
  },
} satisfies Record<string, DbOperation>;

interface Recorded {
  product_id: number;
  quantity: number;
}

/**
 * SQLite (node:sqlite) store of products and of the outcome decided for each idempotency key: its reduction, or
 * its refusal (with the reason and the stock it was refused at). One writer at a time (BEGIN IMMEDIATE): a
 * reduction's check of its key, its decision and the record of its outcome cannot interleave with another's.
 */
export class SqliteInventoryStore implements InventoryStore {
  readonly system = 'sqlite' as const;
  readonly ready = Promise.resolve();
  private readonly db: DatabaseSync;
  private readonly sql: TracedSql;

  constructor(path: string) {
    this.db = openDatabase(
      path,
      `
      CREATE TABLE IF NOT EXISTS products (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        stock INTEGER NOT NULL CHECK (stock >= 0)
      );
      CREATE TABLE IF NOT EXISTS stock_reductions (
        idempotency_key TEXT PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      -- Added after 0.1.0; a database from then gets it on open (a new table: nothing to migrate).
      CREATE TABLE IF NOT EXISTS stock_refusals (
        idempotency_key TEXT PRIMARY KEY,
        product_id INTEGER NOT NULL,
        quantity INTEGER NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('unknown_product', 'insufficient_stock')),
        available INTEGER,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
    `,
    );
    this.sql = new TracedSql(this.db, path);
    const seed = this.db.prepare('INSERT OR IGNORE INTO products (id, name, stock) VALUES (?, ?, ?)');
    for (const p of SEED) seed.run(p.id, p.name, p.stock);
  }

  async listProducts(): Promise<Product[]> {
    return this.sql.all<Product>(SQL.list);
  }

  async getProduct(id: number): Promise<Product | undefined> {
    return this.product(id);
  }

  private product(id: number): Product | undefined {
    return this.sql.get<Product>(SQL.get, id);
  }

  /**
   * Takes `quantity` units of a product in one transaction, which runs whole before any other (node:sqlite is
   * synchronous and the transaction holds SQLite's one write lock).
   */
  async reduceStock(productId: number, quantity: number, idempotencyKey?: string): Promise<Reduction> {
    return this.transaction(() => {
      if (idempotencyKey) {
        const prior = this.recorded(idempotencyKey);
        if (prior) {
          if (prior.product_id !== productId || prior.quantity !== quantity) return { kind: 'key_reused' };
          return prior.outcome;
        }
      }
      const outcome = this.decide(productId, quantity);
      if (idempotencyKey) this.record(idempotencyKey, productId, quantity, outcome);
      return outcome;
    });
  }

  private decide(productId: number, quantity: number): Reduction {
    const { changes } = this.sql.run(SQL.reduce, quantity, productId, quantity);
    const product = this.product(productId);
    if (!product) return { kind: 'refused', reason: 'unknown_product', available: null, replayed: false };
    if (Number(changes) === 0)
      return { kind: 'refused', reason: 'insufficient_stock', available: product.stock, replayed: false };
    return { kind: 'reduced', product, replayed: false };
  }

  /** The outcome recorded for a key, as a replay. */
  private recorded(key: string): (Recorded & { outcome: Reduction }) | undefined {
    const reduction = this.sql.get<Recorded>(SQL.findReduction, key);
    if (reduction)
      return {
        ...reduction,
        outcome: { kind: 'reduced', product: this.product(reduction.product_id)!, replayed: true },
      };
    const refusal = this.sql.get<Recorded & { reason: RefusalReason; available: number | null }>(SQL.findRefusal, key);
    if (refusal)
      return {
        ...refusal,
        outcome: { kind: 'refused', reason: refusal.reason, available: refusal.available, replayed: true },
      };
    return undefined;
  }

  private record(key: string, productId: number, quantity: number, outcome: Reduction): void {
    if (outcome.kind === 'reduced') {
      this.sql.run(SQL.recordReduction, key, productId, quantity);
    } else if (outcome.kind === 'refused') {
      this.sql.run(SQL.recordRefusal, key, productId, quantity, outcome.reason, outcome.available);
    }
  }

  async restock(productId: number, quantity: number): Promise<Product | undefined> {
    return this.transaction(() => {
      this.sql.run(SQL.restock, quantity, productId);
      return this.product(productId);
    });
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }
}
