// Figures the lane prints (never asserted): each pod's memory, and spans per second through the tiers.
import { kubectl } from './kube';
import { pods } from './pods';
import { scrape, type Sample } from './scrape';
import { type Component, namespace } from './target';

/** Each pod's memory (working set, MiB): `kubectl top` where metrics-server runs, else the kubelet's summary. */
export async function podMemory(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const top = await kubectl(['top', 'pods', '--no-headers'], { timeoutMs: 20_000 });
    for (const line of top.trim().split('\n')) {
      const [name, , mem] = line.trim().split(/\s+/);
      const m = mem?.match(/^(\d+)(Mi|Ki|Gi)$/);
      if (name && m) out.set(name, Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi']);
    }
    if (out.size > 0) return out;
  } catch {
    // no metrics-server: the kubelet's own summary below
  }
  const nodes = [...new Set((await pods()).map((p) => p.node).filter(Boolean))];
  for (const node of nodes) {
    const summary = JSON.parse(
      await kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`], { namespaced: false }),
    ) as {
      pods?: {
        podRef: { name: string; namespace: string };
        memory?: { workingSetBytes?: number };
        containers?: { memory?: { workingSetBytes?: number } }[];
      }[];
    };
    for (const p of summary.pods ?? []) {
      if (p.podRef.namespace !== namespace) continue;
      // the pod's own figure, or its containers' where the kubelet has none for the pod (cgroup v1 setups)
      const containers = (p.containers ?? []).reduce((n, c) => n + (c.memory?.workingSetBytes ?? 0), 0);
      const bytes = Math.max(p.memory?.workingSetBytes ?? 0, containers);
      if (bytes > 0) out.set(p.podRef.name, bytes / 2 ** 20);
    }
  }
  return out;
}

export const memoryLine = (when: string, memory: Map<string, number>) =>
  `memory ${when} (MiB): ${memory.size === 0 ? 'none reported (no metrics-server, no kubelet summary)' : ''}${[
    ...memory,
  ]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([pod, mib]) => `${pod} ${mib.toFixed(0)}`)
    .join(', ')}`;

/** A counter by its name with or without the `_total` suffix (Collector builds differ in their suffixes). */
export const counter = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter(
      (s) =>
        (s.name === name || s.name === `${name}_total`) && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )
    .reduce((n, s) => n + s.value, 0);

export const TIERS: Component[] = ['collector-tier1', 'collector-tier2', 'jaeger-collector'];

/** Spans each tier's pods have accepted so far (sum of otelcol_receiver_accepted_spans over its Ready pods). */
export async function acceptedSpans(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const tier of TIERS) {
    let n = 0;
    for (const p of (await pods(tier)).filter((x) => x.ready))
      n += counter(await scrape(p.name, 8888).catch(() => []), 'otelcol_receiver_accepted_spans');
    out[tier] = n;
  }
  return out;
}

/**
 * Spans/s through each tier for a burst: the first reading is taken (awaited) before the burst is sent, then each
 * tier's count is read every 250 ms; the returned function stops and tells, per tier, the spans it took in and the
 * time from the reading before its first new span to the reading that saw its last, so a lower bound of its rate
 * (tier 2 passes a trace on to Jaeger only after decision_wait: its own burst is timed from its first span).
 */
export async function spanThroughput(): Promise<() => Promise<string>> {
  const first = await acceptedSpans();
  const seen = TIERS.map((tier) => ({ tier, count: first[tier] ?? 0, before: Date.now(), from: 0, to: 0 }));
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const counts: Record<string, number> = await acceptedSpans().catch(() => ({}));
      for (const t of seen) {
        const n = counts[t.tier];
        if (n === undefined || n <= t.count) {
          if (!t.from) t.before = at; // still nothing new: the burst starts after this reading
          continue;
        }
        if (!t.from) t.from = t.before;
        t.count = n;
        t.to = at;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - at))));
    }
  })();
  return async () => {
    running = false;
    await loop;
    const line = seen.map((t) => {
      const spans = t.count - (first[t.tier] ?? 0);
      if (!spans) return `${t.tier} none`;
      const s = Math.max(0.25, (t.to - t.from) / 1000);
      return `${t.tier} ${spans} spans in <= ${s.toFixed(2)} s (>= ${(spans / s).toFixed(0)}/s)`;
    });
    return `spans/s through the tiers (a burst, otelcol_receiver_accepted_spans of each tier's pods): ${line.join(', ')}`;
  };
}

/** The Ready pod of `component` whose receiver accepted the most spans over `ms` (the one a kill hurts most). */
export async function busiest(component: Component, ms = 3_000): Promise<{ pod: string; spans: number }> {
  const count = async (pod: string) => counter(await scrape(pod, 8888), 'otelcol_receiver_accepted_spans');
  const names = (await pods(component)).filter((p) => p.ready && !p.deleting).map((p) => p.name);
  const before = await Promise.all(names.map(count));
  await new Promise((r) => setTimeout(r, ms));
  const after = await Promise.all(names.map(count));
  const deltas = names.map((pod, i) => ({ pod, spans: after[i]! - before[i]! }));
  return deltas.sort((a, b) => b.spans - a.spans)[0] ?? { pod: '', spans: 0 };
}
