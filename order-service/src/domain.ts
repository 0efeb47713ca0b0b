import { metrics, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApiError } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import { InventoryClient, InventoryUnavailable, type Product } from './inventory-client';
import type { NewOrder, Order, OrderStatus, OrderStore } from './store';

const tracer = trace.getTracer('@ostack/order-service');
const meter = metrics.getMeter('@ostack/order-service');
const ordersPlaced = meter.createCounter('orders.placed', { description: 'Orders confirmed', unit: '{order}' });
const ordersRejected = meter.createCounter('orders.rejected', {
  description: 'Orders turned away, by reason',
  unit: '{order}',
});

/** Why an order was turned away: the `reason` attribute of orders.rejected. */
const REASONS: Record<number, string> = { 404: 'unknown_product', 409: 'out_of_stock', 422: 'idempotency_conflict' };
/** A rejected order sent again with its key is answered as the first time (status and code), not as a new 409. */
const REPLAYED_REFUSALS: Record<string, [status: number, code: string]> = {
  unknown_product: [404, 'product_not_found'],
  out_of_stock: [409, 'insufficient_stock'],
  idempotency_conflict: [409, 'idempotency_key_reused'],
};

export interface PlacedOrder {
  order: Order;
  /** True when the idempotency key named an order that was already confirmed. */
  replayed: boolean;
}

/**
 * An order is written as `pending` before inventory-service is asked to reduce stock (with the order's
 * idempotency key), and becomes `confirmed` or `rejected` on its answer. When there is no answer the order
 * stays pending and is completed later with the same key (a client retry or the reconciler): inventory-service
 * applies a key once, so a unit of stock is never taken twice nor left without its confirmed order.
 */
export class Orders {
  constructor(
    private readonly store: OrderStore,
    private readonly inventory: InventoryClient,
    private readonly logger: Logger,
  ) {}

  place(request: NewOrder): Promise<PlacedOrder> {
    return tracer.startActiveSpan('order.place', async (span) => {
      span.setAttributes({
        'app.product.id': request.product_id,
        'app.quantity': request.quantity,
        'app.idempotency_key': request.idempotency_key,
      });
      try {
        const existing = this.store.findByKey(request.idempotency_key);
        if (existing) return await this.resume(existing, request, span);
        const order = this.store.insertPending(request);
        span.setAttribute('app.order.id', order.id);
        return { order: await this.complete(order, span), replayed: false };
      } finally {
        span.end();
      }
    });
  }

  list(status: OrderStatus | undefined, limit: number): Order[] {
    return this.store.list(status, limit);
  }

  async products(): Promise<Product[]> {
    try {
      return await this.inventory.listProducts();
    } catch (err) {
      if (err instanceof InventoryUnavailable) throw new ApiError(503, 'inventory_unavailable', err.message);
      throw err;
    }
  }

  /** Completes orders left pending (inventory-service was down, slow, or this process stopped mid-order). */
  async reconcile(olderThan: Date): Promise<number> {
    const pending = this.store.pending(olderThan.toISOString());
    if (pending.length === 0) return 0;
    return tracer.startActiveSpan('order.reconcile', async (span) => {
      span.setAttribute('app.orders.pending', pending.length);
      let completed = 0;
      for (const order of pending) {
        await tracer.startActiveSpan('order.retry', async (retry) => {
          retry.setAttributes({ 'app.order.id': order.id, 'app.retry': true });
          try {
            const done = await this.complete(order, retry);
            this.logger.info('pending order completed', { order_id: done.id, status: done.status });
            completed++;
          } catch (err) {
            if (err instanceof ApiError && err.status !== 503) completed++;
            this.logger.warn('pending order not completed', { order_id: order.id, error: (err as Error).message });
          } finally {
            retry.end();
          }
        });
      }
      span.end();
      return completed;
    });
  }

  private async resume(existing: Order, request: NewOrder, span: Span): Promise<PlacedOrder> {
    span.setAttributes({ 'app.order.id': existing.id, 'app.idempotent_replay': true });
    if (
      existing.username !== request.username ||
      existing.product_id !== request.product_id ||
      existing.quantity !== request.quantity
    ) {
      throw new ApiError(422, 'idempotency_key_reused', 'this idempotency key was used for a different order');
    }
    if (existing.status === 'confirmed') return { order: existing, replayed: true };
    if (existing.status === 'rejected') {
      const [status, code] = REPLAYED_REFUSALS[existing.reason ?? ''] ?? [409, existing.reason ?? 'rejected'];
      throw new ApiError(status, code, `order ${existing.id} was rejected: ${existing.reason}`);
    }
    span.setAttribute('app.retry', true);
    return { order: await this.complete(existing, span), replayed: false };
  }

  private async complete(order: Order, span: Span): Promise<Order> {
    const answer = await this.inventory.reduceStock(order.product_id, order.quantity, order.idempotency_key);
    span.setAttribute('app.outcome', answer.kind);
    switch (answer.kind) {
      case 'reduced': {
        const confirmed = this.store.setStatus(order.id, 'confirmed');
        ordersPlaced.add(1, { 'product.id': String(order.product_id) });
        this.logger.info('order confirmed', { order_id: order.id, product_id: order.product_id, quantity: order.quantity });
        return confirmed;
      }
      case 'refused': {
        const reason = REASONS[answer.status] ?? 'refused';
        this.store.setStatus(order.id, 'rejected', reason);
        ordersRejected.add(1, { reason });
        this.logger.warn('order rejected', { order_id: order.id, reason, detail: answer.message });
        throw new ApiError(answer.status === 422 ? 409 : answer.status, answer.code, answer.message);
      }
      case 'unavailable': {
        ordersRejected.add(1, { reason: 'inventory_unavailable' });
        span.setStatus({ code: SpanStatusCode.ERROR, message: answer.message });
        this.logger.error('order left pending: inventory-service unavailable', { order_id: order.id, detail: answer.message });
        throw new ApiError(503, 'inventory_unavailable', answer.message, { order_id: order.id, order_status: 'pending' });
      }
    }
  }
}
