import { type DatabaseSettings, PgDatabase, type PgStatement } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import type { NewOrder, Order, OrderStatus, OrderStore } from './store';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    username text NOT NULL,
    product_id integer NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected')),
    reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- The reconciler's lease: until then, other reconcilers pass over this pending order.
    reconcile_after timestamptz
  );
  CREATE INDEX IF NOT EXISTS orders_status ON orders (status, id);
`;

// Times as SQLite's store gives them (ISO 8601, UTC, milliseconds), so answers are alike on both backends.
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;
const COLUMNS = `id, idempotency_key, username, product_id, quantity, status, reason, ${iso('created_at')}, ${iso('updated_at')}`;
const ms = (param: string) => `make_interval(secs => ${param}::float8 / 1000)`;

// Each statement is prepared once per connection, under a name that also names its span (`pg.query:<name> …`).
const SQL = {
  insert: {
    name: 'orders.insert',
    text: `INSERT INTO orders (idempotency_key, username, product_id, quantity) VALUES ($1, $2, $3, $4)
      ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
  },
  byKey: { name: 'orders.by_key', text: `SELECT ${COLUMNS} FROM orders WHERE idempotency_key = $1` },
  byId: { name: 'orders.by_id', text: `SELECT ${COLUMNS} FROM orders WHERE id = $1` },
  // The compare-and-set that makes an outcome final: only a pending order is settled, and only once. A concurrent
  // settle waits for the row, re-reads it, finds it no longer pending and changes nothing.
  settle: {
    name: 'orders.settle',
    text:
      `UPDATE orders SET status = $1, reason = $2, updated_at = now(), reconcile_after = NULL ` +
      `WHERE id = $3 AND status = 'pending' RETURNING ${COLUMNS}`,
  },
  list: {
    name: 'orders.list',
    text: `SELECT ${COLUMNS} FROM orders WHERE status = $1 ORDER BY id DESC LIMIT $2`,
  },
  listAll: { name: 'orders.list_all', text: `SELECT ${COLUMNS} FROM orders ORDER BY id DESC LIMIT $1` },
  // SKIP LOCKED: two replicas taking at once get different orders instead of waiting on each other.
  takePending: {
    name: 'orders.take_pending',
    text:
      `UPDATE orders SET reconcile_after = now() + ${ms('$1')} WHERE id = (` +
      `SELECT id FROM orders WHERE status = 'pending' AND updated_at <= now() - ${ms('$2')} ` +
      `AND (reconcile_after IS NULL OR reconcile_after <= now()) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) ` +
      `RETURNING ${COLUMNS}`,
  },
} satisfies Record<string, PgStatement>;

/**
 * PostgreSQL store of orders, for any number of replicas: the unique idempotency key makes one order per key
 * (INSERT … ON CONFLICT DO NOTHING), settling is a compare-and-set, and the reconcilers lease pending orders by
 * the database's clock. Every operation is one statement: nothing is held across a call to inventory-service.
 */
export class PgOrderStore implements OrderStore {
  readonly system = 'postgresql' as const;
  readonly db: PgDatabase;

  constructor(settings: DatabaseSettings & { DATABASE_URL: string }, logger: Logger) {
    this.db = new PgDatabase({ settings, logger, applicationName: 'order-service', schema: SCHEMA });
  }

  async claim(order: NewOrder): Promise<{ order: Order; created: boolean }> {
    const existing = await this.findByKey(order.idempotency_key);
    if (existing) return { order: existing, created: false };
    const { idempotency_key, username, product_id, quantity } = order;
    const inserted = await this.db.first<Order>(SQL.insert, [idempotency_key, username, product_id, quantity]);
    // ON CONFLICT: another request (here or at another replica) stored the key in between; its order is the one.
    return inserted
      ? { order: inserted, created: true }
      : { order: (await this.findByKey(idempotency_key))!, created: false };
  }

  findByKey(key: string): Promise<Order | undefined> {
    return this.db.first<Order>(SQL.byKey, [key]);
  }

  findById(id: number): Promise<Order | undefined> {
    return this.db.first<Order>(SQL.byId, [id]);
  }

  settle(id: number, status: 'confirmed' | 'rejected', reason: string | null = null): Promise<Order | undefined> {
    return this.db.first<Order>(SQL.settle, [status, reason, id]);
  }

  list(status: OrderStatus | undefined, limit: number): Promise<Order[]> {
    return status ? this.db.rows<Order>(SQL.list, [status, limit]) : this.db.rows<Order>(SQL.listAll, [limit]);
  }

  takePending(graceMs: number, leaseMs: number): Promise<Order | undefined> {
    return this.db.first<Order>(SQL.takePending, [leaseMs, graceMs]);
  }

  get ready(): Promise<void> {
    return this.db.ready;
  }

  ping(timeoutMs: number): Promise<void> {
    return this.db.ping(timeoutMs);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
