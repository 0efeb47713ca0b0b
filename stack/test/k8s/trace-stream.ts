// A steady stream of synthetic traces through whichever tier-1 pods are Ready at each tick (a pod that goes away
// is dropped from the next tick on), and the tier-1 pods' view of tier 2: how many backends each one's
// load-balancing exporter reports (otelcol_loadbalancer_num_backends, exporter/loadbalancingexporter).
import { counter } from './figures';
import { forwardTo } from './port-forward';
import { readyPods } from './pods';
import { scrape } from './scrape';
import { sendTraces, type SyntheticTrace } from './synthetic-traces';

export interface StreamOptions {
  prefix: string;
  /** The trace id of each new trace (e.g. outside the share, with an error: a split would show). */
  newTrace: () => SyntheticTrace;
  perTick?: number;
  tickMs?: number;
  spreadMs?: number;
}

/** Starts the stream; the returned function stops it and answers every trace sent (after their last parts). */
export function traceStream({ newTrace, perTick = 4, tickMs = 200, spreadMs = 1_000 }: StreamOptions) {
  const sent: SyntheticTrace[] = [];
  const inFlight = new Set<Promise<void>>();
  let running = true;
  // The Ready tier-1 pods, refreshed every second beside the stream (a kubectl call per tick would cost more CPU
  // than the stream itself).
  let endpoints: string[] = [];
  const refresh = async () => {
    const pods = await readyPods('collector-tier1').catch(() => undefined);
    if (!pods) return;
    endpoints = (await Promise.all(pods.map((p) => forwardTo(`pod/${p.name}`, 4318).catch(() => undefined)))).filter(
      (x): x is string => x !== undefined,
    );
  };
  const refresher = (async () => {
    while (running) {
      await refresh();
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  const loop = (async () => {
    await refresh();
    while (running) {
      const at = Date.now();
      if (endpoints.length >= 2) {
        const batch = Array.from({ length: perTick }, newTrace);
        sent.push(...batch);
        const p = sendTraces(batch, endpoints, spreadMs).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - at))));
    }
  })();
  return async () => {
    running = false;
    await Promise.all([loop, refresher]);
    await Promise.all([...inFlight]);
    return sent;
  };
}

export interface RingView {
  backends: number;
  /** otelcol_loadbalancer_num_backend_updates: how often its resolver changed the list. */
  updates: number;
}

/** Each Ready tier-1 pod's view of tier 2; a pod without the metric is an error that names it. */
export async function ringViews(): Promise<Map<string, RingView>> {
  const out = new Map<string, RingView>();
  for (const pod of await readyPods('collector-tier1')) {
    const samples = await scrape(pod.name, 8888);
    const backends = samples.filter((s) => s.name === 'otelcol_loadbalancer_num_backends');
    if (backends.length === 0) throw new Error(`${pod.name}:8888 exposes no otelcol_loadbalancer_num_backends`);
    out.set(pod.name, {
      backends: Math.max(...backends.map((s) => s.value)),
      updates: counter(samples, 'otelcol_loadbalancer_num_backend_updates'),
    });
  }
  return out;
}

/**
 * Polls until every Ready tier-1 pod reports `n` backends (and, given `updatedSince`, has changed its list since
 * then: a pod that has not re-resolved yet may still count a killed backend); answers when (ms since epoch).
 */
export async function whenAllSee(n: number, updatedSince?: Map<string, RingView>, timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = new Map<string, RingView>();
  let error = '';
  while (Date.now() < deadline) {
    try {
      last = await ringViews();
      const settled = [...last].every(
        ([pod, v]) => v.backends === n && (!updatedSince || v.updates > (updatedSince.get(pod)?.updates ?? -1)),
      );
      if (last.size >= 2 && settled) return Date.now();
    } catch (err) {
      error = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`tier-1 pods do not all report ${n} backends: ${JSON.stringify([...last])} ${error}`);
}
