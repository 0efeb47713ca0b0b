import type { Express } from 'express';
import { createApp, DatabaseProbe } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import type { Config } from './config';
import { Orders } from './domain';
import { InventoryClient } from './inventory-client';
import { openOrderStore } from './open-store';
import { orderRoutes } from './routes';
import type { OrderStore } from './store';

export interface OrderService {
  app: Express;
  orders: Orders;
  store: OrderStore;
  probe: DatabaseProbe;
  /** Stops the probe and closes the database. */
  close(): Promise<void>;
}

export function buildOrderService(config: Config, logger: Logger, version: string): OrderService {
  const store = openOrderStore(config, logger);
  const probe = new DatabaseProbe(store, logger);
  void store.ready.then(() => probe.check()); // ready as soon as the schema is there, not at the next probe
  const inventory = new InventoryClient(config.INVENTORY_SERVICE_URL, config.INVENTORY_TIMEOUT_MS);
  const orders = new Orders(store, inventory, logger);
  const app = createApp({ logger, routes: orderRoutes(orders, version, probe) });
  return {
    app,
    orders,
    store,
    probe,
    close: async () => {
      probe.stop();
      await store.close();
    },
  };
}
