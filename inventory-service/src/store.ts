import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '@ostack/service-kit';
import { dbSpanner, type WithDbSpan } from '@ostack/telemetry';

export interface Product {
  id: number;
  name: string;
  stock: number;
}

export type Reduction =
  | { kind: 'reduced'; product: Product; replayed: boolean }
  | { kind: 'unknown_product' }
  | { kind: 'insufficient_stock'; product: Product }
  | { kind: 'key_reused' };

/** The original's seed data. */
export const SEED: readonly Product[] = [
  { id: 1, name: 'Laptop', stock: 8 },
  { id: 2, name: 'Smartphone', stock: 24 },
  { id: 3, name: 'Tablet', stock: 15 },
  { id: 4, name: 'Headphones', stock: 50 },
  { id: 5, name: 'Smartwatch', stock: 30 },
];

const SQL = {
  list: 'SELECT id, name, stock FROM products ORDER BY id',
  get: 'SELECT id, name, stock FROM products WHERE id = ?',
  // The guard in the WHERE clause is what makes a reduction atomic: it never takes stock below zero.
  reduce: 'UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?',
  restock: 'UPDATE products SET stock = stock + ? WHERE id = ?',
  findReduction: 'SELECT product_id, quantity FROM stock_reductions WHERE idempotency_key = ?',
  recordReduction: 'INSERT INTO stock_reductions (idempotency_key, product_id, quantity) VALUES (?, ?, ?)',
};

/** SQLite (node:sqlite) store of products and of the idempotency keys of applied reductions. */
export class InventoryStore {
  private readonly db: DatabaseSync;
  private readonly span: WithDbSpan;

  constructor(path: string) {
    this.span = dbSpanner(path);
    this.db = openDatabase(path, `
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
    `);
    const seed = this.db.prepare('INSERT OR IGNORE INTO products (id, name, stock) VALUES (?, ?, ?)');
    for (const p of SEED) seed.run(p.id, p.name, p.stock);
  }

  listProducts(): Product[] {
    return this.span({ operation: 'SELECT', collection: 'products', query: SQL.list }, () =>
      this.db.prepare(SQL.list).all(),
    ) as unknown as Product[];
  }

  getProduct(id: number): Product | undefined {
    return this.span({ operation: 'SELECT', collection: 'products', query: SQL.get }, () =>
      this.db.prepare(SQL.get).get(id),
    ) as unknown as Product | undefined;
  }

  /**
   * Takes `quantity` units of a product in one transaction. With an idempotency key the reduction is recorded
   * with it, so a retried request (same key) is answered from the record instead of reducing twice.
   */
  reduceStock(productId: number, quantity: number, idempotencyKey?: string): Reduction {
    return this.transaction(() => {
      if (idempotencyKey) {
        const prior = this.span(
          { operation: 'SELECT', collection: 'stock_reductions', query: SQL.findReduction },
          () => this.db.prepare(SQL.findReduction).get(idempotencyKey),
        ) as { product_id: number; quantity: number } | undefined;
        if (prior) {
          if (prior.product_id !== productId || prior.quantity !== quantity) return { kind: 'key_reused' };
          return { kind: 'reduced', product: this.getProduct(productId)!, replayed: true };
        }
      }
      const { changes } = this.span({ operation: 'UPDATE', collection: 'products', query: SQL.reduce }, () =>
        this.db.prepare(SQL.reduce).run(quantity, productId, quantity),
      );
      const product = this.getProduct(productId);
      if (!product) return { kind: 'unknown_product' };
      if (Number(changes) === 0) return { kind: 'insufficient_stock', product };
      if (idempotencyKey) {
        this.span({ operation: 'INSERT', collection: 'stock_reductions', query: SQL.recordReduction }, () =>
          this.db.prepare(SQL.recordReduction).run(idempotencyKey, productId, quantity),
        );
      }
      return { kind: 'reduced', product, replayed: false };
    });
  }

  restock(productId: number, quantity: number): Product | undefined {
    return this.transaction(() => {
      this.span({ operation: 'UPDATE', collection: 'products', query: SQL.restock }, () =>
        this.db.prepare(SQL.restock).run(quantity, productId),
      );
      return this.getProduct(productId);
    });
  }

  close(): void {
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
