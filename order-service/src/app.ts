import type { Express } from 'express';
import { createApp } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import type { Config } from './config';
import { Orders } from './domain';
import { InventoryClient } from './inventory-client';
import { orderRoutes } from './routes';
import { OrderStore } from './store';

export interface OrderService {
  app: Express;
  orders: Orders;
  store: OrderStore;
}

export function buildOrderService(config: Config, logger: Logger, version: string): OrderService {
  const store = new OrderStore(config.DATABASE_PATH);
  const inventory = new InventoryClient(config.INVENTORY_SERVICE_URL, config.INVENTORY_TIMEOUT_MS);
  const orders = new Orders(store, inventory, logger);
  const app = createApp({ logger, routes: orderRoutes(orders, version) });
  return { app, orders, store };
}
