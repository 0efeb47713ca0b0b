// Jaeger query's HTTP API (/api/traces), and what it holds of the synthetic traces: whole (every planned span, each
// once), partial, or missing.
import { pool } from '../helpers/pool';
import { eventually } from '../stack/backends';
import { SERVICES, type SyntheticTrace } from './synthetic-traces';
import { DECISION_WAIT_MS } from './target';

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  processID: string;
  operationName: string;
  tags: { key: string; value: unknown }[];
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: { key: string; value: unknown }[] }>;
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`Jaeger ${res.status} for ${url}: ${(await res.text()).slice(0, 300)}`);
  return res.json();
}

export async function trace(base: string, traceId: string): Promise<JaegerTrace | undefined> {
  return ((await getJson(`${base}/api/traces/${traceId}`)) as { data?: JaegerTrace[] } | undefined)?.data?.[0];
}

/** Every trace with a span of `service` that started since `sinceMs` (the search returns whole traces). */
export async function tracesOf(base: string, service: string, sinceMs: number, limit = 5000): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({
    service,
    start: String((sinceMs - 60_000) * 1000),
    end: String((Date.now() + 60_000) * 1000),
    limit: String(limit),
  });
  return (
    ((await getJson(`${base}/api/traces?${params.toString()}`)) as { data?: JaegerTrace[] } | undefined)?.data ?? []
  );
}

export type Holding = 'whole' | 'partial' | 'duplicated' | 'missing';

/** What Jaeger's copy of a synthetic trace is. */
export function holding(planned: SyntheticTrace, found: JaegerTrace | undefined): Holding {
  if (!found || found.spans.length === 0) return 'missing';
  const ids = found.spans.map((s) => s.spanID);
  const distinct = new Set(ids);
  if (planned.spans.some((s) => !distinct.has(s.spanId))) return 'partial';
  return ids.length === planned.spans.length ? 'whole' : 'duplicated';
}

/**
 * What Jaeger holds of each planned trace, once every trace `mustBeWhole` picks is whole or `timeoutMs` is up:
 * searched by the traces' service names, then each trace the search did not return whole looked up by id (a search
 * answers only so many traces).
 */
export async function lookUp(
  base: string,
  planned: SyntheticTrace[],
  mustBeWhole: (t: SyntheticTrace) => boolean,
  timeoutMs = 90_000,
): Promise<Map<string, Holding>> {
  const since = Math.min(...planned.map((t) => t.sentAt));
  // Nothing of the last traces is decided before decision_wait has passed: no search before then.
  const decided = Math.max(...planned.map((t) => t.sentAt)) + DECISION_WAIT_MS;
  await new Promise((r) => setTimeout(r, Math.max(0, decided - Date.now())));
  const prefixes = [...new Set(planned.map((t) => t.prefix))];
  const found = new Map<string, JaegerTrace>();
  const status = () => new Map(planned.map((t) => [t.traceId, holding(t, found.get(t.traceId))]));
  const settle = async () => {
    for (const prefix of prefixes)
      for (const service of SERVICES)
        for (const t of await tracesOf(base, `${prefix}-${service}`, since, planned.length + 100))
          found.set(t.traceID, t);
    const wanting = planned.filter((t) => mustBeWhole(t) && holding(t, found.get(t.traceId)) !== 'whole');
    for (const [t, j] of await pool(wanting.slice(0, 400), 8, async (t) => [t, await trace(base, t.traceId)] as const))
      if (j) found.set(t.traceId, j);
    return planned.every((t) => !mustBeWhole(t) || holding(t, found.get(t.traceId)) === 'whole') ? true : undefined;
  };
  await eventually('every trace that must be kept, whole in Jaeger', settle, timeoutMs).catch(() => undefined);
  return status();
}

/** Counts by holding, for messages. */
export function tally(planned: SyntheticTrace[], held: Map<string, Holding>): Record<Holding, number> {
  const out: Record<Holding, number> = { whole: 0, partial: 0, duplicated: 0, missing: 0 };
  for (const t of planned) out[held.get(t.traceId) ?? 'missing']++;
  return out;
}
