import { metrics, type ObservableCallback, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApiError } from '@ostack/service-kit';
import type { InventoryStore, Product, Reduction } from './store';

const tracer = trace.getTracer('@ostack/inventory-service');
const meter = metrics.getMeter('@ostack/inventory-service');
const stockGauge = meter.createObservableGauge('inventory.stock', {
  description: 'Units in stock per product',
  unit: '{item}',
});

/** The inventory's rules on top of its store; the business telemetry lives here. */
export class Inventory {
  // Read at each collection, so the gauge is the stock as stored, whoever changed it.
  private readonly observeStock: ObservableCallback = async (result) => {
    // Nothing observed while the database is out of reach: the gap in the graph is the truth.
    const products = await this.store.listProducts().catch(() => []);
    for (const p of products) {
      result.observe(p.stock, { 'product.id': String(p.id), 'product.name': p.name });
    }
  };

  constructor(private readonly store: InventoryStore) {
    stockGauge.addCallback(this.observeStock);
  }

  /** Stops reporting this inventory's stock (before its store closes). */
  close(): void {
    stockGauge.removeCallback(this.observeStock);
  }

  list(): Promise<Product[]> {
    return this.store.listProducts();
  }

  reduce(
    productId: number,
    quantity: number,
    idempotencyKey?: string,
  ): Promise<{ product: Product; replayed: boolean }> {
    return tracer.startActiveSpan('inventory.reduce_stock', async (span) => {
      span.setAttributes({ 'app.product.id': productId, 'app.quantity': quantity });
      try {
        const result = await this.store.reduceStock(productId, quantity, idempotencyKey);
        span.setAttribute('app.outcome', result.kind === 'refused' ? result.reason : result.kind);
        switch (result.kind) {
          case 'reduced':
            span.setAttributes({
              'app.stock.remaining': result.product.stock,
              'app.idempotent_replay': result.replayed,
            });
            return result;
          case 'refused':
            span.setAttribute('app.idempotent_replay', result.replayed);
            throw refusal(productId, quantity, result);
          case 'key_reused':
            throw new ApiError(422, 'idempotency_key_reused', 'this idempotency key was used for another reduction');
        }
      } catch (err) {
        if (!(err instanceof ApiError)) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        throw err;
      } finally {
        span.end();
      }
    });
  }

  async restock(productId: number, quantity: number): Promise<Product> {
    const product = await this.store.restock(productId, quantity);
    if (!product) throw new ApiError(404, 'product_not_found', `product ${productId} does not exist`);
    return product;
  }
}

/** The 404 or 409 of a refusal; a replayed one says so, and gives the stock as it was when the key was refused. */
function refusal(
  productId: number,
  quantity: number,
  { reason, available, replayed }: Extract<Reduction, { kind: 'refused' }>,
): ApiError {
  if (reason === 'unknown_product')
    return new ApiError(404, 'product_not_found', `product ${productId} does not exist`, { replayed });
  return new ApiError(
    409,
    'insufficient_stock',
    `only ${available} of product ${productId} in stock, ${quantity} asked`,
    { available, replayed },
  );
}
