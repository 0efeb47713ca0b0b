import type { DatabaseSync } from 'node:sqlite';
// node:sqlite is synchronous: the store's methods are async only to keep the contract's promises (and turn a
// thrown error into a rejection).
/* eslint-disable @typescript-eslint/require-await */
import { openDatabase, TracedSql } from '@ostack/service-kit';
import type { DbOperation } from '@ostack/telemetry';
import type { NewOrder, Order, OrderStatus, OrderStore } from './store';

const COLUMNS = 'id, idempotency_key, username, product_id, quantity, status, reason, created_at, updated_at';
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
// Each statement with the operation and table its span is named for (`SELECT orders`).
const SQL = {
  insert: {
    operation: 'INSERT',
    collection: 'orders',
    query: `INSERT INTO orders (idempotency_key, username, product_id, quantity) VALUES (?, ?, ?, ?)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
  },
  byKey: {
    operation: 'SELECT',
    collection: 'orders',
    query: `SELECT ${COLUMNS} FROM orders WHERE idempotency_key = ?`,
  },
  byId: { operation: 'SELECT', collection: 'orders', query: `SELECT ${COLUMNS} FROM orders WHERE id = ?` },
  // The compare-and-set that makes an outcome final: only a pending order is settled, and only once.
  settle: {
    operation: 'UPDATE',
    collection: 'orders',
    query:
      `UPDATE orders SET status = ?, reason = ?, updated_at = ${NOW} ` +
      `WHERE id = ? AND status = 'pending' RETURNING ${COLUMNS}`,
  },
  list: {
    operation: 'SELECT',
    collection: 'orders',
    query: `SELECT ${COLUMNS} FROM orders WHERE status = ? ORDER BY id DESC LIMIT ?`,
  },
  listAll: {
    operation: 'SELECT',
    collection: 'orders',
    query: `SELECT ${COLUMNS} FROM orders ORDER BY id DESC LIMIT ?`,
  },
  // The oldest order pending for longer than a grace period, leased to this reconciler (reconcile_after): the
  // next run passes over it until the lease ends, even when its completion fails. Times are the database's.
  takePending: {
    operation: 'UPDATE',
    collection: 'orders',
    query:
      `UPDATE orders SET reconcile_after = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE id = (` +
      `SELECT id FROM orders WHERE status = 'pending' AND updated_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) ` +
      `AND (reconcile_after IS NULL OR reconcile_after <= ${NOW}) ORDER BY id LIMIT 1) RETURNING ${COLUMNS}`,
  },
} satisfies Record<string, DbOperation>;

/** SQLite (node:sqlite) store of orders, each keyed by the idempotency key it was placed with. */
export class SqliteOrderStore implements OrderStore {
  readonly system = 'sqlite' as const;
  readonly ready = Promise.resolve();
  private readonly db: DatabaseSync;
  private readonly sql: TracedSql;

  constructor(path: string) {
    this.db = openDatabase(
      path,
      `
      CREATE TABLE IF NOT EXISTS orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        username TEXT NOT NULL,
        product_id INTEGER NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected')),
        reason TEXT,
        created_at TEXT NOT NULL DEFAULT (${NOW}),
        updated_at TEXT NOT NULL DEFAULT (${NOW})
      );
      CREATE INDEX IF NOT EXISTS orders_status ON orders (status, id);
    `,
    );
    // Added after 0.1.0 (the reconciler's lease): a database from then gets the column on open.
    const columns = this.db.prepare('PRAGMA table_info(orders)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'reconcile_after')) {
      this.db.exec('ALTER TABLE orders ADD COLUMN reconcile_after TEXT');
    }
    this.sql = new TracedSql(this.db, path);
  }

  async claim(order: NewOrder): Promise<{ order: Order; created: boolean }> {
    const existing = this.byKey(order.idempotency_key);
    if (existing) return { order: existing, created: false };
    // ON CONFLICT: another process may have stored the key in between; then its order is the one.
    const { idempotency_key, username, product_id, quantity } = order;
    const inserted = this.sql.get<Order>(SQL.insert, idempotency_key, username, product_id, quantity);
    return inserted
      ? { order: inserted, created: true }
      : { order: this.byKey(order.idempotency_key)!, created: false };
  }

  async findByKey(key: string): Promise<Order | undefined> {
    return this.byKey(key);
  }

  private byKey(key: string): Order | undefined {
    return this.sql.get<Order>(SQL.byKey, key);
  }

  async findById(id: number): Promise<Order | undefined> {
    return this.sql.get<Order>(SQL.byId, id);
  }

  async settle(id: number, status: 'confirmed' | 'rejected', reason: string | null = null): Promise<Order | undefined> {
    return this.sql.get<Order>(SQL.settle, status, reason, id);
  }

  async list(status: OrderStatus | undefined, limit: number): Promise<Order[]> {
    return status ? this.sql.all<Order>(SQL.list, status, limit) : this.sql.all<Order>(SQL.listAll, limit);
  }

  async takePending(graceMs: number, leaseMs: number): Promise<Order | undefined> {
    return this.sql.get<Order>(SQL.takePending, seconds(leaseMs), seconds(-graceMs));
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

/** A date modifier of SQLite's, `+1.500 seconds`. */
const seconds = (ms: number) => `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(3)} seconds`;
