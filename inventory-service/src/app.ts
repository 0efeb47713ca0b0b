import type { Express } from 'express';
import { createApp, DatabaseProbe } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import type { Config } from './config';
import { Inventory } from './domain';
import { openInventoryStore } from './open-store';
import { inventoryRoutes } from './routes';
import type { InventoryStore } from './store';

export interface InventoryService {
  app: Express;
  store: InventoryStore;
  probe: DatabaseProbe;
  /** Stops the probe and the stock gauge, then closes the database. */
  close(): Promise<void>;
}

export function buildInventoryService(config: Config, logger: Logger, version: string): InventoryService {
  const store = openInventoryStore(config, logger);
  const probe = new DatabaseProbe(store, logger);
  void store.ready.then(() => probe.check()); // ready as soon as the schema is there, not at the next probe
  const inventory = new Inventory(store);
  const faults = { errorRate: config.INVENTORY_FAULT_ERROR_RATE, latencyMs: config.INVENTORY_FAULT_LATENCY_MS };
  const app = createApp({ logger, routes: inventoryRoutes(inventory, faults, version, probe) });
  return {
    app,
    store,
    probe,
    close: async () => {
      probe.stop();
      inventory.close();
      await store.close();
    },
  };
}
