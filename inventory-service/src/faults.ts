import type { RequestHandler } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FaultSettings {
  errorRate: number;
  latencyMs: number;
}

/** Demo fault injection (INVENTORY_FAULT_*): added latency, then a share of requests failing with a 500. */
export function injectFaults({ errorRate, latencyMs }: FaultSettings): RequestHandler {
  return async (_req, _res, next) => {
    if (latencyMs > 0) await sleep(latencyMs);
    if (errorRate > 0 && Math.random() < errorRate) {
      next(new Error('injected fault (INVENTORY_FAULT_ERROR_RATE)'));
      return;
    }
    next();
  };
}
