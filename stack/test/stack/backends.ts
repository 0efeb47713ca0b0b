// The backends' own HTTP APIs, as Grafana uses them.
import { randomBytes } from 'node:crypto';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(base: string, query: string): Promise<PromSample[]> {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromSample[] } };
  if (body.status !== 'success') throw new Error(`PromQL failed: ${query}: ${body.error}`);
  return body.data.result;
}

export interface Exemplar {
  labels: Record<string, string>;
  value: string;
  timestamp: number;
}

export async function promExemplars(base: string, query: string): Promise<Exemplar[]> {
  const end = Date.now() / 1000;
  const res = await fetch(`${base}/api/v1/query_exemplars?${new URLSearchParams({ query, start: String(end - 3600), end: String(end) })}`);
  const body = (await res.json()) as { status: string; data: { exemplars: Exemplar[] }[] };
  if (body.status !== 'success') throw new Error(`exemplar query failed: ${query}`);
  return body.data.flatMap((series) => series.exemplars);
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}
export interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export async function jaegerTrace(base: string, traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${base}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

export const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
export const serviceOf = (trace: JaegerTrace, span: JaegerSpan) => trace.processes[span.processID]!.serviceName;
export const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

/** A W3C traceparent for a new sampled trace, so the test knows the trace id of each request it sends. */
export function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
