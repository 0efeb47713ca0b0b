import { buildInventoryService, type InventoryService } from '@ostack/inventory-service/app';
import { readConfig as readInventoryConfig } from '@ostack/inventory-service/config';
import { createLogger } from '@ostack/telemetry';
import { buildOrderService, type OrderService } from '../src/app';
import { readConfig } from '../src/config';
import { tempDb } from './net';

export { listen, type Listening, tempDb } from './net';

/** Silent unless LOG_LEVEL is set: the records of expected failures (503s, timeouts) would only be noise. */
export const quietLogger = createLogger('test', process.env.LOG_LEVEL ?? 'error');
quietLogger.silent = process.env.LOG_LEVEL === undefined;

export function inventoryService(env: Record<string, string> = {}, path = tempDb('inventory')): InventoryService {
  return buildInventoryService(readInventoryConfig({ DATABASE_PATH: path, ...env }), quietLogger, 'test');
}

export function orderService(
  inventoryUrl: string,
  env: Record<string, string> = {},
  path = tempDb('orders'),
): OrderService {
  return buildOrderService(
    readConfig({ DATABASE_PATH: path, INVENTORY_SERVICE_URL: inventoryUrl, INVENTORY_TIMEOUT_MS: '2000', ...env }),
    quietLogger,
    'test',
  );
}
