import { buildInventoryService, type InventoryService } from '@ostack/inventory-service/app';
import { readConfig as readInventoryConfig } from '@ostack/inventory-service/config';
import { createLogger } from '@ostack/telemetry';
import { buildOrderService, type OrderService } from '../src/app';
import { readConfig } from '../src/config';
import { tempDb } from './net';

export { listen, type Listening, tempDb } from './net';

export const quietLogger = createLogger('test', 'error');

export function inventoryService(env: Record<string, string> = {}, path = tempDb('inventory')): InventoryService {
  return buildInventoryService(readInventoryConfig({ DATABASE_PATH: path, ...env }), quietLogger, 'test');
}

export function orderService(inventoryUrl: string, env: Record<string, string> = {}, path = tempDb('orders')): OrderService {
  return buildOrderService(
    readConfig({ DATABASE_PATH: path, INVENTORY_SERVICE_URL: inventoryUrl, INVENTORY_TIMEOUT_MS: '2000', ...env }),
    quietLogger,
    'test',
  );
}
