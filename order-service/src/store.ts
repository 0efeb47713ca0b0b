import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '@ostack/service-kit';
import { dbSpanner, type WithDbSpan } from '@ostack/telemetry';

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
const SQL = {
  insert: `INSERT INTO orders (idempotency_key, username, product_id, quantity) VALUES (?, ?, ?, ?) RETURNING ${COLUMNS}`,
  byKey: `SELECT ${COLUMNS} FROM orders WHERE idempotency_key = ?`,
  setStatus: `UPDATE orders SET status = ?, reason = ?, updated_at = ${NOW} WHERE id = ? RETURNING ${COLUMNS}`,
  list: `SELECT ${COLUMNS} FROM orders WHERE status = ? ORDER BY id DESC LIMIT ?`,
  listAll: `SELECT ${COLUMNS} FROM orders ORDER BY id DESC LIMIT ?`,
  pending: `SELECT ${COLUMNS} FROM orders WHERE status = 'pending' AND updated_at <= ? ORDER BY id LIMIT ?`,
};

/** SQLite (node:sqlite) store of orders, each keyed by the idempotency key it was placed with. */
export class OrderStore {
  private readonly db: DatabaseSync;
  private readonly span: WithDbSpan;

  constructor(path: string) {
    this.span = dbSpanner(path);
    this.db = openDatabase(path, `
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
    `);
  }

  insertPending(order: NewOrder): Order {
    return this.span({ operation: 'INSERT', collection: 'orders', query: SQL.insert }, () =>
      this.db.prepare(SQL.insert).get(order.idempotency_key, order.username, order.product_id, order.quantity),
    ) as unknown as Order;
  }

  findByKey(key: string): Order | undefined {
    return this.span({ operation: 'SELECT', collection: 'orders', query: SQL.byKey }, () =>
      this.db.prepare(SQL.byKey).get(key),
    ) as unknown as Order | undefined;
  }

  setStatus(id: number, status: OrderStatus, reason: string | null = null): Order {
    return this.span({ operation: 'UPDATE', collection: 'orders', query: SQL.setStatus }, () =>
      this.db.prepare(SQL.setStatus).get(status, reason, id),
    ) as unknown as Order;
  }

  /** Newest first; `status` undefined lists every order. */
  list(status: OrderStatus | undefined, limit: number): Order[] {
    return this.span({ operation: 'SELECT', collection: 'orders', query: status ? SQL.list : SQL.listAll }, () =>
      status ? this.db.prepare(SQL.list).all(status, limit) : this.db.prepare(SQL.listAll).all(limit),
    ) as unknown as Order[];
  }

  /** Orders still pending that were last touched before `olderThan` (ISO time). */
  pending(olderThan: string, limit = 100): Order[] {
    return this.span({ operation: 'SELECT', collection: 'orders', query: SQL.pending }, () =>
      this.db.prepare(SQL.pending).all(olderThan, limit),
    ) as unknown as Order[];
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
