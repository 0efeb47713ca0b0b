import { z } from 'zod';
import { databaseEnv, readEnv } from '@ostack/service-kit';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8010),
  HOST: z.string().optional(),
  ...databaseEnv('data/inventory.db'),
  // Fault toggles, so users can watch errors and latency appear in dashboards and traces.
  INVENTORY_FAULT_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  INVENTORY_FAULT_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
});

export type Config = z.output<typeof schema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return readEnv(schema, env);
}
