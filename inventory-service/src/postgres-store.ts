import { type DatabaseSettings, PgDatabase, type PgQueries, type PgStatement } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import { type InventoryStore, type Product, type Reduction, type RefusalReason, SEED } from './store';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS products (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    stock bigint NOT NULL CHECK (stock >= 0)
  );
  -- One row per idempotency key, inserted first to claim the key: a second request with the key waits on the
  -- unique index until the first commits, then finds its outcome. Reductions and refusals share it, so there is
  -- no window in which one key could get both.
  CREATE TABLE IF NOT EXISTS stock_decisions (
    idempotency_key text PRIMARY KEY,
    product_id integer NOT NULL,
    quantity integer NOT NULL,
    outcome text CHECK (outcome IN ('reduced', 'unknown_product', 'insufficient_stock')),
    available bigint,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  INSERT INTO products (id, name, stock) VALUES
    ${SEED.map((p) => `(${p.id}, '${p.name}', ${p.stock})`).join(', ')}
  ON CONFLICT DO NOTHING;
`;

// Each statement is prepared once per connection, under a name that also names its span (`pg.query:<name> …`).
const SQL = {
  list: { name: 'products.list', text: 'SELECT id, name, stock FROM products ORDER BY id' },
  get: { name: 'products.get', text: 'SELECT id, name, stock FROM products WHERE id = $1' },
  // The guard in the WHERE clause makes a reduction atomic: a concurrent one waits for the row, then re-checks.
  reduce: {
    name: 'products.reduce',
    text: 'UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1 RETURNING id, name, stock',
  },
  restock: {
    name: 'products.restock',
    text: 'UPDATE products SET stock = stock + $1 WHERE id = $2 RETURNING id, name, stock',
  },
  claim: {
    name: 'stock_decisions.claim',
    text:
      'INSERT INTO stock_decisions (idempotency_key, product_id, quantity) VALUES ($1, $2, $3) ' +
      'ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key',
  },
  decided: {
    name: 'stock_decisions.get',
    text: 'SELECT product_id, quantity, outcome, available FROM stock_decisions WHERE idempotency_key = $1',
  },
  record: {
    name: 'stock_decisions.record',
    text: 'UPDATE stock_decisions SET outcome = $2, available = $3 WHERE idempotency_key = $1',
  },
} satisfies Record<string, PgStatement>;

interface Decision {
  product_id: number;
  quantity: number;
  outcome: 'reduced' | RefusalReason;
  available: number | null;
}

/**
 * PostgreSQL store of products and of the outcome decided for each idempotency key, for any number of replicas:
 * a reduction with a key first claims the key (INSERT … ON CONFLICT DO NOTHING) and decides only when the claim
 * is its own, all in one READ COMMITTED transaction. A second request with the key, at any replica, blocks on the
 * claim until the first commits and then replays its outcome; if the first rolled back, the second decides.
 */
export class PgInventoryStore implements InventoryStore {
  readonly system = 'postgresql' as const;
  readonly db: PgDatabase;

  constructor(settings: DatabaseSettings & { DATABASE_URL: string }, logger: Logger) {
    this.db = new PgDatabase({ settings, logger, applicationName: 'inventory-service', schema: SCHEMA });
  }

  listProducts(): Promise<Product[]> {
    return this.db.rows<Product>(SQL.list);
  }

  getProduct(id: number): Promise<Product | undefined> {
    return this.db.first<Product>(SQL.get, [id]);
  }

  reduceStock(productId: number, quantity: number, idempotencyKey?: string): Promise<Reduction> {
    return this.db.transaction(async (tx) => {
      if (idempotencyKey && !(await tx.first(SQL.claim, [idempotencyKey, productId, quantity]))) {
        return this.replay(tx, idempotencyKey, productId, quantity);
      }
      const outcome = await decide(tx, productId, quantity);
      if (idempotencyKey) {
        const [name, available] = outcome.kind === 'refused' ? [outcome.reason, outcome.available] : ['reduced', null];
        await tx.rows(SQL.record, [idempotencyKey, name, available]);
      }
      return outcome;
    });
  }

  /** The outcome another request decided for the key (committed: the claim waited for it). */
  private async replay(tx: PgQueries, key: string, productId: number, quantity: number): Promise<Reduction> {
    const prior = (await tx.first<Decision>(SQL.decided, [key]))!;
    if (prior.product_id !== productId || prior.quantity !== quantity) return { kind: 'key_reused' };
    if (prior.outcome === 'reduced') {
      const product = (await tx.first<Product>(SQL.get, [productId]))!;
      return { kind: 'reduced', product, replayed: true };
    }
    return { kind: 'refused', reason: prior.outcome, available: prior.available, replayed: true };
  }

  restock(productId: number, quantity: number): Promise<Product | undefined> {
    return this.db.first<Product>(SQL.restock, [quantity, productId]);
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

async function decide(tx: PgQueries, productId: number, quantity: number): Promise<Reduction> {
  const reduced = await tx.first<Product>(SQL.reduce, [quantity, productId]);
  if (reduced) return { kind: 'reduced', product: reduced, replayed: false };
  const product = await tx.first<Product>(SQL.get, [productId]);
  if (!product) return { kind: 'refused', reason: 'unknown_product', available: null, replayed: false };
  return { kind: 'refused', reason: 'insufficient_stock', available: product.stock, replayed: false };
}
