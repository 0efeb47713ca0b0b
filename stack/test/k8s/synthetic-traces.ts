// Synthetic traces sent as OTLP/HTTP JSON straight to the tier-1 pods: three services, two spans each, every trace's
// services split between both tier-1 pods (edge and store to one, middle to the other), so that a tier 2 that got a
// trace's spans on two pods would show it: its error (on store's span only) or its latency (edge's start to store's
// end; each pod's part alone is fast) would keep one part and drop the other.
import { randomSpanId } from '../helpers/share';

export const SERVICES = ['edge', 'middle', 'store'] as const;
type Part = (typeof SERVICES)[number];

export interface PlannedSpan {
  service: Part;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: 1 | 2 | 3; // internal, server, client
  startMs: number; // offset from the trace's start
  endMs: number;
  error: boolean;
}
export interface SyntheticTrace {
  traceId: string;
  /** The run's service-name prefix: `<prefix>-edge`, ... */
  prefix: string;
  error: boolean;
  slow: boolean;
  spans: PlannedSpan[];
  /** When its first part was sent (ms since epoch), and whether every part was accepted (HTTP 200). */
  sentAt: number;
  accepted: boolean;
}

/** One trace's six spans. Fast: all within 100 ms. Slow: store's spans end at 620 ms (edge+store's pod sees a
 * 620 ms trace, middle's pod a 70 ms one). Error: store's server span has status ERROR. */
export function planTrace(traceId: string, prefix: string, { error = false, slow = false } = {}): SyntheticTrace {
  const [edge, edgeWork, middle, middleCall, store, storeWork] = Array.from({ length: 6 }, randomSpanId);
  const late = slow ? 390 : 0;
  const span = (s: Omit<PlannedSpan, 'error'>, isError = false): PlannedSpan => ({ ...s, error: isError });
  return {
    traceId,
    prefix,
    error,
    slow,
    sentAt: 0,
    accepted: false,
    spans: [
      span({
        service: 'edge',
        spanId: edge!,
        parentSpanId: '',
        name: 'GET /synthetic',
        kind: 2,
        startMs: 0,
        endMs: 100,
      }),
      span({
        service: 'edge',
        spanId: edgeWork!,
        parentSpanId: edge!,
        name: 'render',
        kind: 1,
        startMs: 10,
        endMs: 40,
      }),
      span({
        service: 'middle',
        spanId: middle!,
        parentSpanId: edge!,
        name: 'GET /middle',
        kind: 2,
        startMs: 20,
        endMs: 90,
      }),
      span({
        service: 'middle',
        spanId: middleCall!,
        parentSpanId: middle!,
        name: 'GET',
        kind: 3,
        startMs: 30,
        endMs: 80,
      }),
      span(
        {
          service: 'store',
          spanId: store!,
          parentSpanId: middleCall!,
          name: 'GET /store',
          kind: 2,
          startMs: 40 + late,
          endMs: 70 + late * 1.4,
        },
        error,
      ),
      span({
        service: 'store',
        spanId: storeWork!,
        parentSpanId: store!,
        name: 'query',
        kind: 1,
        startMs: 45 + late,
        endMs: 60 + late,
      }),
    ],
  };
}

const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/** The OTLP JSON body of one service's spans of these traces. */
function body(traces: SyntheticTrace[], service: Part, base: number) {
  const byPrefix = new Map<string, SyntheticTrace[]>();
  for (const t of traces) byPrefix.set(t.prefix, [...(byPrefix.get(t.prefix) ?? []), t]);
  return {
    resourceSpans: [...byPrefix].map(([prefix, ts]) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: `${prefix}-${service}` } },
          { key: 'service.instance.id', value: { stringValue: `${prefix}-${service}-1` } },
        ],
      },
      scopeSpans: [
        {
          scope: { name: 'ostack-k8s-suite' },
          spans: ts.flatMap((t) =>
            t.spans
              .filter((s) => s.service === service)
              .map((s) => ({
                traceId: t.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: s.kind,
                startTimeUnixNano: nanos(base + s.startMs),
                endTimeUnixNano: nanos(base + s.endMs),
                status: s.error ? { code: 2, message: 'synthetic failure' } : { code: 1 },
              })),
          ),
        },
      ],
    })),
  };
}

async function post(endpoint: string, payload: unknown): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Sends `traces` through the tier-1 endpoints (two or more OTLP/HTTP base URLs): edge's and store's spans of a
 * trace to one endpoint, middle's to the next, alternating per trace. `spreadMs` sends middle's part that much
 * later and store's twice that, as services' SDKs export a trace's spans in separate, later batches.
 */
export async function sendTraces(traces: SyntheticTrace[], endpoints: string[], spreadMs = 0): Promise<void> {
  if (endpoints.length < 2) throw new Error(`two tier-1 endpoints needed, got ${endpoints.length}`);
  const base = Date.now();
  for (const t of traces) t.sentAt = base;
  const results = new Map<SyntheticTrace, boolean[]>();
  const parts = SERVICES.map(async (service, i) => {
    if (i > 0 && spreadMs > 0) await new Promise((r) => setTimeout(r, spreadMs * i));
    await Promise.all(
      endpoints.map(async (endpoint, e) => {
        const here = traces.filter((_, n) => (n + (service === 'middle' ? 1 : 0)) % endpoints.length === e);
        if (here.length === 0) return;
        const ok = await post(endpoint, body(here, service, base));
        for (const t of here) results.set(t, [...(results.get(t) ?? []), ok]);
      }),
    );
  });
  await Promise.all(parts);
  for (const t of traces)
    t.accepted = (results.get(t) ?? []).length === SERVICES.length && results.get(t)!.every(Boolean);
}

/** Span count per service name of these traces (what span metrics must count). */
export function spansPerService(traces: SyntheticTrace[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of traces)
    for (const s of t.spans) out.set(`${t.prefix}-${s.service}`, (out.get(`${t.prefix}-${s.service}`) ?? 0) + 1);
  return out;
}
