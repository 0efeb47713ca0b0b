// Figures over the bench's measurements.
export interface Measurement {
  round: number;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  /** CPU time of order-service + inventory-service during the window. */
  cpuMs: number;
  collectorCpuMs: number;
  failures: number;
}

export interface Summary {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  collectorCpuMsPerRequest: number;
  failures: number;
  peakRssMiB?: { order: number; inventory: number };
}

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The value below which a share `p` (0..1) of `xs` lies (nearest rank). */
export const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Totals over the rounds (requests and CPU summed: each round weighs by its requests); latencies: median of rounds. */
export function summarize(ms: Measurement[]): Summary {
  const requests = ms.reduce((n, m) => n + m.requests, 0);
  const seconds = ms.reduce((n, m) => n + m.seconds, 0);
  return {
    requests,
    rps: requests / seconds,
    p50: median(ms.map((m) => m.p50)),
    p99: median(ms.map((m) => m.p99)),
    cpuMsPerRequest: ms.reduce((n, m) => n + m.cpuMs, 0) / requests,
    collectorCpuMsPerRequest: ms.reduce((n, m) => n + m.collectorCpuMs, 0) / requests,
    failures: ms.reduce((n, m) => n + m.failures, 0),
  };
}

/** Per round, the baseline's CPU/request divided by the configuration's in the same round: min, median, max. */
export function roundRatios(cfg: Measurement[], base: Measurement[]): { min: number; median: number; max: number } {
  const ratios = cfg.flatMap((m) => {
    const b = base.find((x) => x.round === m.round);
    return b ? [b.cpuMs / b.requests / (m.cpuMs / m.requests)] : [];
  });
  return { min: Math.min(...ratios), median: median(ratios), max: Math.max(...ratios) };
}
