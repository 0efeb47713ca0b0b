import { createRequire } from 'node:module';

// autocannon has no types of its own; this is the part of its API the bench uses.
export interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}

export interface AutocannonOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  connections?: number;
  duration?: number;
  /** Requests per second over all connections (open loop); unset: as fast as the server answers. */
  overallRate?: number;
  /** A sequence of requests each connection sends in turn; setupRequest may change each one as it is sent. */
  requests?: Array<{
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    setupRequest?: (req: Record<string, unknown>) => Record<string, unknown>;
  }>;
}

type Autocannon = (opts: AutocannonOptions) => Promise<AutocannonResult>;

// Through require: autocannon ships no types (Autocannon above), and an import of it would not type-check.
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
