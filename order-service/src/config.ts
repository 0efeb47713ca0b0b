import { z } from 'zod';
import { databaseEnv, readEnv } from '@ostack/service-kit';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().optional(),
  ...databaseEnv('data/orders.db'),
  INVENTORY_SERVICE_URL: z.url().default('http://localhost:8010'),
  // An order answers 503 rather than hang when inventory-service is slower than this.
  INVENTORY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
  // How often orders left pending by a failed call to inventory-service are completed.
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
});

export type Config = z.output<typeof schema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return readEnv(schema, env);
}
