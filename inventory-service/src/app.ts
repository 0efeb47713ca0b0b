import type { Express } from 'express';
import { createApp } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import type { Config } from './config';
import { Inventory } from './domain';
import { inventoryRoutes } from './routes';
import { InventoryStore } from './store';

export interface InventoryService {
  app: Express;
  store: InventoryStore;
  /** Stops reporting the stock gauge, then closes the store. */
  close: () => void;
}

export function buildInventoryService(config: Config, logger: Logger, version: string): InventoryService {
  const store = new InventoryStore(config.DATABASE_PATH);
  const inventory = new Inventory(store);
  const faults = { errorRate: config.INVENTORY_FAULT_ERROR_RATE, latencyMs: config.INVENTORY_FAULT_LATENCY_MS };
  const app = createApp({ logger, routes: inventoryRoutes(inventory, faults, version) });
  const close = () => {
    inventory.close();
    store.close();
  };
  return { app, store, close };
}
