import { randomUUID } from 'node:crypto';
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
import type { Orders } from './domain';

// Printable text, no control characters. Well-formed Unicode only: SQLite stores UTF-8, so a lone surrogate
// would come back as U+FFFD and the same order retried with its Idempotency-Key would no longer match (422).
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

const orderRequest = z.object({
  username: text(64),
  product_id: positiveInt(2_147_483_647),
  quantity: positiveInt(1_000).default(1),
});

const listQuery = z.object({
  status: z.enum(['confirmed', 'pending', 'rejected', 'all']).default('confirmed'),
  limit: positiveInt(1_000).default(100),
});

export function orderRoutes(orders: Orders, version: string, probe: DatabaseProbe): Router {
  const router = Router();
  router.get('/health', healthRoute('order-service', version));
  router.get('/ready', readyRoute(probe, 'order-service', version));
  router.get('/list-products', async (_req, res) => {
    res.json({ products: await orders.products() });
  });
  router.get('/list-orders', async (req, res) => {
    const { status, limit } = parseInput(listQuery, req.query);
    res.json({ orders: await orders.list(status === 'all' ? undefined : status, limit) });
  });
  router.post('/order-product', async (req, res) => {
    const input = parseInput(orderRequest, requestFields(req));
    // A client that may retry sends its own key; otherwise each request is a new order.
    const key = idempotencyKey(req) ?? randomUUID();
    const { order, replayed } = await orders.place({ ...input, idempotency_key: key });
    res.status(replayed ? 200 : 201).json({ order, replayed });
  });
  return router;
}
