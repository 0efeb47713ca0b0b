import type { DatabaseSystem } from '@ostack/service-kit';

export interface Product {
  id: number;
  name: string;
  stock: number;
}

/** Why inventory-service says no to a reduction. */
export type RefusalReason = 'unknown_product' | 'insufficient_stock';

/** The outcome of a reduction; `replayed` when it is the recorded outcome of an earlier request with the same key. */
export type Reduction =
  | { kind: 'reduced'; product: Product; replayed: boolean }
  | { kind: 'refused'; reason: RefusalReason; available: number | null; replayed: boolean }
  | { kind: 'key_reused' };

/** The products a new database starts with; an existing one keeps its stock. */
export const SEED: readonly Product[] = [
  { id: 1, name: 'Laptop', stock: 8 },
  { id: 2, name: 'Smartphone', stock: 24 },
  { id: 3, name: 'Tablet', stock: 15 },
  { id: 4, name: 'Headphones', stock: 50 },
  { id: 5, name: 'Smartwatch', stock: 30 },
];

/**
 * The inventory's state, on SQLite or PostgreSQL, with the same guarantees on both: stock never below zero, and
 * each idempotency key decided once (reduced, or refused with its reason), its outcome answered ever after, however
 * many requests with it race, on however many replicas. A database out of reach rejects with DatabaseUnavailable.
 */
export interface InventoryStore {
  readonly system: DatabaseSystem;
  listProducts(): Promise<Product[]>;
  getProduct(id: number): Promise<Product | undefined>;
  /**
   * Takes `quantity` units of a product. With an idempotency key the outcome, reduced or refused, is recorded with
   * it: a request with the same key is answered from that record, never decided again (a refusal stays a refusal
   * after a restock), and the same key with another product or quantity is `key_reused`.
   */
  reduceStock(productId: number, quantity: number, idempotencyKey?: string): Promise<Reduction>;
  /** Adds units; undefined when the product does not exist. */
  restock(productId: number, quantity: number): Promise<Product | undefined>;
  /** Resolves once the database can serve (PostgreSQL: its schema created, retried until the server answers). */
  readonly ready: Promise<void>;
  /** One cheap round trip, for the readiness probe. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
