import type { Logger } from '@ostack/telemetry';
import type { Orders } from './domain';

/**
 * Completes pending orders at start and then every `intervalMs`, on every replica. Only orders untouched for
 * longer than `graceMs` are taken, so a request still waiting on inventory-service is not raced; each is leased for
 * `leaseMs`, so replicas take different ones.
 */
export function startReconciler(
  orders: Orders,
  logger: Logger,
  intervalMs: number,
  graceMs: number,
  leaseMs = 2 * graceMs,
): () => void {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    running ??= orders
      .reconcile(graceMs, leaseMs)
      .catch((err: Error) => logger.error('reconciliation failed', { error: err.message }))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, intervalMs).unref();
  return () => clearInterval(timer);
}
