import { z } from 'zod';

const schema = z.object({
  ORDER_SERVICE_URL: z.url().default('http://localhost:8000'),
  INVENTORY_SERVICE_URL: z.url().default('http://localhost:8010'),
  // Requests per second, spread evenly; a demo needs a steady trickle, not a benchmark.
  LOAD_RPS: z.coerce.number().positive().max(1_000).default(3),
  // Stop after this many seconds (0: run until stopped).
  LOAD_DURATION_S: z.coerce.number().min(0).default(0),
  // Products whose stock falls below this are restocked, so orders never drain into all-failures.
  LOAD_RESTOCK_BELOW: z.coerce.number().int().min(0).default(5),
  LOAD_RESTOCK_TO: z.coerce.number().int().min(1).default(40),
  LOAD_RESTOCK_INTERVAL_S: z.coerce.number().positive().default(10),
});

export type LoadConfig = z.output<typeof schema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): LoadConfig {
  // Empty values (compose's `${VAR:-}`) count as unset, as in service-kit's readEnv: the load generator's image
  // ships telemetry/ only, not service-kit/.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  return schema.parse(set);
}
