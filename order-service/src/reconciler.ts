import type { Logger } from '@ostack/telemetry';
import type { Orders } from './domain';

/**
 * Completes pending orders at start and then every `intervalMs`. Only orders untouched for longer than
 * `graceMs` are taken, so a request still waiting on inventory-service is not raced.
 */
export function startReconciler(orders: Orders, logger: Logger, intervalMs: number, graceMs: number): () => void {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    running ??= orders
      .reconcile(new Date(Date.now() - graceMs))
      .catch((err: Error) => logger.error('reconciliation failed', { error: err.message }))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, intervalMs).unref();
  return () => clearInterval(timer);
}
