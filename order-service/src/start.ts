import type { Server } from 'node:http';
import { serve } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import type { OrderService } from './app';
import type { Config } from './config';
import { startReconciler } from './reconciler';

/**
 * Serves order-service, and once it listens starts the reconciler: a process that cannot start (its port taken)
 * completes no pending order on its way out. The reconciler stops when the server closes, before a stop closes
 * the store.
 */
export async function startOrderService(service: OrderService, config: Config, logger: Logger): Promise<Server> {
  const server = await serve(service.app, {
    port: config.PORT,
    host: config.HOST,
    logger,
    onClose: () => service.close(),
  });
  const stopReconciler = startReconciler(
    service.orders,
    logger,
    config.RECONCILE_INTERVAL_MS,
    2 * config.INVENTORY_TIMEOUT_MS,
  );
  server.once('close', stopReconciler);
  return server;
}
