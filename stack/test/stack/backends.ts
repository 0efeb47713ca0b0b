// The backends' own HTTP APIs, as Grafana uses them.
import { randomBytes } from 'node:crypto';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A PromQL series selector: `name{label="value",...}`. */
export const selector = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

export async function promQuery(base: string, query: string): Promise<PromSample[]> {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
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
  const params = new URLSearchParams({ query, start: String(end - 3600), end: String(end) });
  const res = await fetch(`${base}/api/v1/query_exemplars?${params.toString()}`);
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

/** Loki's HTTP API: GET with query parameters, JSON back, Loki's (plain text) error in the exception. */
async function lokiGet<T>(base: string, path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params).toString()}`);
  if (!res.ok) throw new Error(`Loki ${path} ${res.status}: ${(await res.text()).trim()} (${JSON.stringify(params)})`);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`Loki ${path} failed: ${JSON.stringify(params)}`);
  return body.data;
}

export interface LokiStream {
  /** Index labels, and (as Loki v3 answers without categorized labels) structured metadata merged in. */
  stream: Record<string, string>;
  values: [string, string][];
}
export type LokiResult =
  | { resultType: 'streams'; result: LokiStream[] }
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: [number, string] }[] }
  | { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, string][] }[] };

const lastHour = () => ({ start: String((Date.now() - 3_600_000) * 1e6), end: String(Date.now() * 1e6) });

/** A LogQL query over the last hour (log queries, and metric queries as a matrix). */
export const lokiQueryRange = (base: string, query: string, limit = 1000) =>
  lokiGet<LokiResult>(base, '/loki/api/v1/query_range', { query, limit: String(limit), ...lastHour() });

/** A LogQL metric query at this instant (Loki refuses log queries here). */
export const lokiQuery = (base: string, query: string) => lokiGet<LokiResult>(base, '/loki/api/v1/query', { query });

/** The index labels of the last hour's streams. */
export const lokiLabels = (base: string) => lokiGet<string[]>(base, '/loki/api/v1/labels', lastHour());

export interface LogRecord {
  service: string;
  body: string;
  severity: string;
  /** OTLP severity number (9 = INFO, 13 = WARN, 17 = ERROR); 0 where the backend does not keep it. */
  severityNumber: number;
  traceId: string;
  spanId: string;
  labels: Record<string, string>;
}

/** The log records a LogQL log query selects over the last hour. */
export async function lokiRecords(base: string, query: string): Promise<LogRecord[]> {
  const data = await lokiQueryRange(base, query, 5000);
  if (data.resultType !== 'streams') throw new Error(`expected streams, got ${data.resultType}`);
  return data.result.flatMap((s) =>
    s.values.map(([, line]) => ({
      service: s.stream.service_name ?? '',
      body: line,
      severity: s.stream.detected_level ?? s.stream.severity_text ?? '',
      severityNumber: Number(s.stream.severity_number ?? 0),
      traceId: s.stream.trace_id ?? '',
      spanId: s.stream.span_id ?? '',
      labels: s.stream,
    })),
  );
}

/** The log records of one trace, as Grafana's trace-to-logs link finds them. */
// OTLP puts trace_id in structured metadata: filter on it after the stream selector.
export const lokiLogsOfTrace = (base: string, traceId: string) =>
  lokiRecords(base, `{service_name=~".+"} | trace_id="${traceId}"`);

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
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
  );
}

/**
 * Waits until `missing()` lists nothing, or `timeoutMs` is up, and returns its last list: for a check that waits
 * for a fresh stack's data, then expects `[]`, so that a failure names everything still missing.
 */
export async function stillMissing(what: string, missing: () => Promise<string[]>, timeoutMs = 90_000) {
  let last: string[] = [];
  await eventually(what, async () => ((last = await missing()).length === 0 ? true : undefined), timeoutMs).catch(
    () => undefined,
  );
  return last;
}
