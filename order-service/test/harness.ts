import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import { buildInventoryService, type InventoryService } from '@ostack/inventory-service/app';
import { readConfig as readInventoryConfig } from '@ostack/inventory-service/config';
import { createLogger } from '@ostack/telemetry';
import { buildOrderService, type OrderService } from '../src/app';
import { readConfig } from '../src/config';

export const quietLogger = createLogger('test', 'error');

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves an app on an ephemeral loopback port. */
export async function listen(app: Express): Promise<Listening> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function tempDb(name: string): string {
  return join(mkdtempSync(join(tmpdir(), `${name}-`)), `${name}.db`);
}

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
