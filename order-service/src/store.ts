import type { DatabaseSystem } from '@ostack/service-kit';

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

/**
 * The orders, on SQLite or PostgreSQL, with the same guarantees on both and for any number of replicas on one
 * PostgreSQL: one order per idempotency key, settled once (compare-and-set on `pending`), and each pending order
 * taken by one reconciler at a time, by the database's clock. A database out of reach rejects with
 * DatabaseUnavailable.
 */
export interface OrderStore {
  readonly system: DatabaseSystem;
  /** The order of an idempotency key: the one already stored under the key, or a new pending one (`created`). */
  claim(order: NewOrder): Promise<{ order: Order; created: boolean }>;
  findByKey(key: string): Promise<Order | undefined>;
  findById(id: number): Promise<Order | undefined>;
  /**
   * Settles a pending order as confirmed or rejected. Undefined when it was no longer pending: someone else (a
   * client retry, the reconciler) settled it first, and that outcome stands.
   */
  settle(id: number, status: 'confirmed' | 'rejected', reason?: string | null): Promise<Order | undefined>;
  /** Newest first; `status` undefined lists every order. */
  list(status: OrderStatus | undefined, limit: number): Promise<Order[]>;
  /**
   * The oldest order pending for longer than `graceMs` and not leased, now leased for `leaseMs`: other reconcilers
   * (other replicas, the next run) pass over it until then. Both durations by the database's clock, not this
   * process's. One statement: no lock nor transaction is held while the order is completed.
   */
  takePending(graceMs: number, leaseMs: number): Promise<Order | undefined>;
  /** Resolves once the database can serve (PostgreSQL: its schema created, retried until the server answers). */
  readonly ready: Promise<void>;
  /** One cheap round trip, for the readiness probe. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
