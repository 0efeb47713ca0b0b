// The Collector's share rule (config_volumes/otel-collector/config.yaml): a trace is in the share when its trace id's
// 56 random low bits are below percent/100 * 2^56. The suites pick their trace ids on
// either side of it.
import { randomBytes } from 'node:crypto';

export const inShare = (traceId: string, percent: number) =>
  BigInt(`0x${traceId.slice(18)}`) * 100n < BigInt(percent) * 2n ** 56n;

export const randomTraceId = () => randomBytes(16).toString('hex');
export const randomSpanId = () => randomBytes(8).toString('hex');

/** A random trace id inside (true) or outside (false) the share of `percent`. */
export function traceIdInShare(inside: boolean, percent: number): string {
  for (;;) {
    const id = randomTraceId();
    if (inShare(id, percent) === inside) return id;
  }
}
