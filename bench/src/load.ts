// autocannon has no types of its own; this is the part of its API the bench uses.
export interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
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
}

type Autocannon = (opts: AutocannonOptions) => Promise<AutocannonResult>;

// Resolved at run time (a dependency of this workspace; for a run from a scratch install, NODE_PATH works too).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no types: Autocannon above
export const autocannon = require('autocannon') as Autocannon;
