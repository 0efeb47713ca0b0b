import { metrics, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApiError } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import { InventoryClient, InventoryUnavailable, type Product } from './inventory-client';
import type { NewOrder, Order, OrderStatus, OrderStore } from './store';

const tracer = trace.getTracer('@ostack/order-service');
const meter = metrics.getMeter('@ostack/order-service');
const ordersPlaced = meter.createCounter('orders.placed', { description: 'Orders confirmed', unit: '{order}' });
const ordersRejected = meter.createCounter('orders.rejected', {
  description: 'Orders settled as rejected, by reason',
  unit: '{order}',
});
// Not a rejection: the order stays pending, and a client retry or the reconciler settles it later (it then counts
// as placed or rejected). Counted once per order, when the request that placed it got no answer.
const ordersLeftPending = meter.createCounter('orders.left_pending', {
  description: 'Orders left pending because inventory-service did not answer the request that placed them',
  unit: '{order}',
});

/**
 * How a refusal by inventory-service becomes a rejected order: by inventory's status, the reason stored with the
 * order (also orders.rejected's `reason`) and the status and code its client gets, first time and on every replay.
 * Inventory's 422 (the key was used there for another reduction) is our 409: the order itself was valid, it lost to
 * a reduction made elsewhere under its key. (Our own 422 is a key resent with another order: see resume.) Any other
 * refusal is stored as `refused` and answered 409.
 */
const REFUSALS = [
  { inventoryStatus: 404, reason: 'unknown_product', status: 404, code: 'product_not_found' },
  { inventoryStatus: 409, reason: 'out_of_stock', status: 409, code: 'insufficient_stock' },
  { inventoryStatus: 422, reason: 'idempotency_conflict', status: 409, code: 'idempotency_key_reused' },
] as const;

const reasonFor = (inventoryStatus: number): string =>
  REFUSALS.find((r) => r.inventoryStatus === inventoryStatus)?.reason ?? 'refused';

function refusalOf(reason: string | null): { status: number; code: string } {
  return REFUSALS.find((r) => r.reason === reason) ?? { status: 409, code: reason ?? 'rejected' };
}

export interface PlacedOrder {
  order: Order;
  /** True when the order was confirmed before this request: by an earlier one, a concurrent one or the reconciler. */
  replayed: boolean;
}

/**
 * An order is written as `pending` before inventory-service is asked to reduce stock (with the order's
 * idempotency key), and becomes `confirmed` or `rejected` on its answer. When there is no answer the order
 * stays pending and is completed later with the same key (a client retry or the reconciler): inventory-service
 * decides a key once and answers it the same ever after, so a unit of stock is never taken twice nor left without
 * its confirmed order. Whichever request gets the answer first settles the order (a compare-and-set on `pending`);
 * the others answer from what it stored, so every answer agrees with the order as stored.
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
        const { order, created } = await this.store.claim(request);
        span.setAttribute('app.order.id', order.id);
        if (!created) return await this.resume(order, request, span);
        return await this.complete(order, span, 'placing');
      } finally {
        span.end();
      }
    });
  }

  list(status: OrderStatus | undefined, limit: number): Promise<Order[]> {
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

  /**
   * Completes orders left pending (inventory-service was down, slow, or a process stopped mid-order) that have been
   * pending for longer than `graceMs`, one at a time, each leased for `leaseMs` so that the reconcilers of other
   * replicas take others. Both by the database's clock. At most `max` orders a run.
   */
  async reconcile(graceMs: number, leaseMs: number, max = 100): Promise<number> {
    // Taken outside any span: a run that finds nothing leaves no trace (instrumentation-pg needs a parent span).
    let order = await this.store.takePending(graceMs, leaseMs);
    if (!order) return 0;
    return tracer.startActiveSpan('order.reconcile', async (span) => {
      let completed = 0;
      let taken = 0;
      try {
        for (; order && taken < max; taken++) {
          const pending = order;
          await tracer.startActiveSpan('order.retry', async (retry) => {
            try {
              retry.setAttributes({ 'app.order.id': pending.id, 'app.retry': true });
              const done = await this.complete(pending, retry, 'retry');
              this.logger.info('pending order completed', { order_id: pending.id, status: done.order.status });
              completed++;
            } catch (err) {
              if (err instanceof ApiError && err.status !== 503) completed++;
              this.logger.warn('pending order not completed', { order_id: pending.id, error: (err as Error).message });
            } finally {
              retry.end();
            }
          });
          order = taken + 1 < max ? await this.store.takePending(graceMs, leaseMs) : undefined;
        }
        return completed;
      } catch (err) {
        // E.g. the store closed under a pass (a shutdown): the pass ends here, its span with it.
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.setAttribute('app.orders.pending', taken);
        span.end();
      }
    });
  }

  private async resume(existing: Order, request: NewOrder, span: Span): Promise<PlacedOrder> {
    span.setAttribute('app.idempotent_replay', true);
    if (
      existing.username !== request.username ||
      existing.product_id !== request.product_id ||
      existing.quantity !== request.quantity
    ) {
      throw new ApiError(422, 'idempotency_key_reused', 'this idempotency key was used for a different order');
    }
    if (existing.status !== 'pending') return this.answer(existing, span);
    span.setAttribute('app.retry', true);
    return this.complete(existing, span, 'retry');
  }

  /**
   * Asks inventory-service for a pending order's stock and settles the order on its answer, unless settled first.
   * `attempt` says whether this is the request that placed the order or a later retry (client or reconciler).
   */
  private async complete(order: Order, span: Span, attempt: 'placing' | 'retry'): Promise<PlacedOrder> {
    const answer = await this.inventory.reduceStock(order.product_id, order.quantity, order.idempotency_key);
    span.setAttribute('app.outcome', answer.kind);
    if (answer.kind === 'unavailable') {
      const now = (await this.store.findById(order.id))!;
      if (now.status !== 'pending') return this.answer(now, span); // settled meanwhile by a retry or the reconciler
      if (attempt === 'placing') ordersLeftPending.add(1, { reason: 'inventory_unavailable' });
      span.setStatus({ code: SpanStatusCode.ERROR, message: answer.message });
      this.logger.error('order left pending: inventory-service unavailable', {
        order_id: order.id,
        detail: answer.message,
      });
      throw new ApiError(503, 'inventory_unavailable', answer.message, { order_id: order.id, order_status: 'pending' });
    }
    const status = answer.kind === 'reduced' ? 'confirmed' : 'rejected';
    const reason = answer.kind === 'refused' ? reasonFor(answer.status) : null;
    const settled = await this.store.settle(order.id, status, reason);
    if (!settled) {
      const stored = (await this.store.findById(order.id))!;
      if (stored.status !== status || stored.reason !== reason) {
        // Inventory-service decides a key once, so this means its record of the key was lost or changed.
        this.logger.error('inventory-service answered otherwise than the outcome stored for the order', {
          order_id: order.id,
          stored: stored.status,
          answered: answer.kind,
        });
      }
      return this.answer(stored, span);
    }
    if (answer.kind === 'reduced') {
      ordersPlaced.add(1, { 'product.id': String(order.product_id) });
      this.logger.info('order confirmed', {
        order_id: order.id,
        product_id: order.product_id,
        quantity: order.quantity,
      });
    } else {
      ordersRejected.add(1, { reason: reason! });
      this.logger.warn('order rejected', { order_id: order.id, reason, detail: answer.message });
    }
    return this.answer(settled, span, true, answer.kind === 'refused' ? answer.message : undefined);
  }

  /** The answer to a settled order, from what is stored: the order when confirmed, its refusal when rejected. */
  private answer(order: Order, span: Span, settledNow = false, message?: string): PlacedOrder {
    span.setAttribute('app.order.status', order.status);
    if (order.status === 'confirmed') return { order, replayed: !settledNow };
    const { status, code } = refusalOf(order.reason);
    throw new ApiError(status, code, message ?? `order ${order.id} was rejected: ${order.reason}`, {
      order_id: order.id,
      order_status: order.status,
    });
  }
}
