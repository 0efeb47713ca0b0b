import { Router } from 'express';
import { z } from 'zod';
import {
  type DatabaseProbe,
  healthRoute,
  idempotencyKey,
  parseInput,
  positiveInt,
  readyRoute,
  requestFields,
} from '@ostack/service-kit';
import type { Inventory } from './domain';
import { injectFaults, type FaultSettings } from './faults';

const MAX_QUANTITY = 10_000;

const stockChange = z.object({
  product_id: positiveInt(2_147_483_647),
  quantity: positiveInt(MAX_QUANTITY).default(1),
});

export function inventoryRoutes(
  inventory: Inventory,
  faults: FaultSettings,
  version: string,
  probe: DatabaseProbe,
): Router {
  const router = Router();
  router.get('/health', healthRoute('inventory-service', version));
  router.get('/ready', readyRoute(probe, 'inventory-service', version));
  router.get('/list-products', injectFaults(faults), async (_req, res) => {
    res.json({ products: await inventory.list() });
  });
  router.post('/reduce-stock', injectFaults(faults), async (req, res) => {
    const { product_id, quantity } = parseInput(stockChange, requestFields(req));
    const key = idempotencyKey(req);
    const { product, replayed } = await inventory.reduce(product_id, quantity, key);
    res.json({ product_id: product.id, name: product.name, quantity, stock: product.stock, replayed });
  });
  router.post('/restock', async (req, res) => {
    const { product_id, quantity } = parseInput(stockChange, requestFields(req));
    const product = await inventory.restock(product_id, quantity);
    res.json({ product_id: product.id, name: product.name, quantity, stock: product.stock });
  });
  return router;
}
