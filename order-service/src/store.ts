import type { DatabaseSync } from 'node:sqlite';
import { openDatabase, TracedSql } from '@ostack/service-kit';
import type { DbOperation } from '@ostack/telemetry';

export type OrderStatus = 'pending' | 'confirmed' | 'rejected';

export interface Order {
  id: number;
  idempotency_key: string;
  username: string;
  product_id: number;
  quantity: number;
  status: OrderStatus;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewOrder {
  idempotency_key: string;
  username: string;
  product_id: number;
  quantity: number;
}

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
  pending: {
    operation: 'SELECT',
    collection: 'orders',
    query: `SELECT ${COLUMNS} FROM orders WHERE status = 'pending' AND updated_at <= ? ORDER BY id LIMIT ?`,
  },
} satisfies Record<string, DbOperation>;

/** SQLite (node:sqlite) store of orders, each keyed by the idempotency key it was placed with. */
export class OrderStore {
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
    this.sql = new TracedSql(this.db, path);
  }

  /** The order of an idempotency key: the one already stored under the key, or a new pending one (`created`). */
  claim(order: NewOrder): { order: Order; created: boolean } {
    const existing = this.findByKey(order.idempotency_key);
    if (existing) return { order: existing, created: false };
    // ON CONFLICT: another process may have stored the key in between; then its order is the one.
    const { idempotency_key, username, product_id, quantity } = order;
    const inserted = this.sql.get<Order>(SQL.insert, idempotency_key, username, product_id, quantity);
    return inserted
      ? { order: inserted, created: true }
      : { order: this.findByKey(order.idempotency_key)!, created: false };
  }

  findByKey(key: string): Order | undefined {
    return this.sql.get<Order>(SQL.byKey, key);
  }

  findById(id: number): Order | undefined {
    return this.sql.get<Order>(SQL.byId, id);
  }

  /**
   * Settles a pending order as confirmed or rejected. Undefined when it was no longer pending: someone else (a
   * client retry, the reconciler) settled it first, and that outcome stands.
   */
  settle(id: number, status: 'confirmed' | 'rejected', reason: string | null = null): Order | undefined {
    return this.sql.get<Order>(SQL.settle, status, reason, id);
  }

  /** Newest first; `status` undefined lists every order. */
  list(status: OrderStatus | undefined, limit: number): Order[] {
    return status ? this.sql.all<Order>(SQL.list, status, limit) : this.sql.all<Order>(SQL.listAll, limit);
  }

  /** Orders still pending that were last touched before `olderThan` (ISO time). */
  pending(olderThan: string, limit = 100): Order[] {
    return this.sql.all<Order>(SQL.pending, olderThan, limit);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
