// The links between the signals, followed on the running stack: from a real span of this run (read back from
// Jaeger's API, as Grafana's Jaeger datasource reads it), each link's query is built as Grafana 13.2 builds it
// (helpers/grafana-links.ts) and run against the backend it opens: Prometheus, Jaeger, Loki (the compose run's
// stand-in, or real Loki), and, where Grafana runs (not with the stand-ins), Grafana's /api/ds/query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasources } from '../helpers/grafana';
import {
  type DerivedField,
  derivedFieldLink,
  type ExemplarTraceIdDestination,
  exemplarLinks,
  exploreState,
  filteredTags,
  type JaegerApiTrace,
  type Trace,
  type TraceSpan,
  traceAsGrafanaSeesIt,
  type TraceToLogsOptions,
  type TraceToMetricsOptions,
  traceToLogsLink,
  traceToMetricsLinks,
} from '../helpers/grafana-links';
import { type StoredLogLine, standinAsStored } from '../helpers/loki-otlp';
import { select } from '../helpers/logql';
import { eventually, jaegerTrace, lokiRecords, promExemplars, promQuery } from './backends';
import { grafanaAuth, stack } from './target';
import { send, type Sent, trickle } from './traffic';

const { urls } = stack;
const ds = datasources();
const byUid = (uid: string) => ds.find((d) => d.uid === uid)!;
const jaegerDs = ds.find((d) => d.type === 'jaeger')!;
const toLogs = jaegerDs.jsonData.tracesToLogsV2 as TraceToLogsOptions;
const toMetrics = jaegerDs.jsonData.tracesToMetrics as TraceToMetricsOptions;
const derivedFields = byUid('loki').jsonData.derivedFields as DerivedField[];
const destinations = byUid('prometheus').jsonData.exemplarTraceIdDestinations as ExemplarTraceIdDestination[];

let stopTrickle: (() => Promise<void>) | undefined;
let order: Sent;
let trace: Trace;
/** One span per service: the links depend on the span's process, and on the span only by its times. */
let spans: TraceSpan[];

/** A Prometheus range query over a link's time range (Explore runs one), up to now. */
async function promRange(query: string, range: { from: number; to: number }) {
  const end = Math.min(range.to, Date.now()) / 1000;
  const params = new URLSearchParams({ query, start: String(range.from / 1000), end: String(end), step: '15' });
  const res = await fetch(`${urls.prometheus}/api/v1/query_range?${params.toString()}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; values: unknown[] }[] };
  };
  if (body.status !== 'success') throw new Error(`PromQL failed: ${query}: ${body.error}`);
  return body.data.result;
}

/** The log lines as Loki stores them: the stand-in's records mapped the way Loki maps OTLP, or real Loki's. */
async function storedLines(): Promise<StoredLogLine[]> {
  return (await stack.logRecords()).map(standinAsStored);
}

beforeAll(async () => {
  stopTrickle = trickle(urls.order, urls.inventory);
  order = await send(urls.order, 'POST', '/order-product', { username: 'links', product_id: 3, quantity: 1 });
  trace = traceAsGrafanaSeesIt(
    await eventually('the order’s trace in Jaeger, both services', async () => {
      const t = await jaegerTrace(urls.jaeger, order.traceId);
      return t && new Set(Object.values(t.processes).map((p) => p.serviceName)).size >= 2
        ? (t as unknown as JaegerApiTrace)
        : undefined;
    }),
  );
  const byService = new Map(trace.spans.map((s) => [s.process.serviceName, s]));
  spans = [...byService.values()];
}, 180_000);

afterAll(async () => {
  await stopTrickle?.();
}, 120_000);

describe('span -> metrics', () => {
  it('every query of every span returns data from Prometheus, for that span’s service only', async () => {
    expect(order.status).toBe(201);
    expect(spans.map((s) => s.process.serviceName).sort()).toEqual(['inventory-service', 'order-service']);
    for (const span of spans) {
      const service = span.process.serviceName;
      // The service filter $__tags becomes selects exactly this service's series.
      const selector = filteredTags(span, toMetrics.tags ?? []).join(', ');
      const services = await eventually(`span metrics of ${service}`, async () => {
        const r = await promQuery(
          urls.prometheus,
          `count by (service_name) (traces_span_metrics_calls_total{${selector}})`,
        );
        return r.length > 0 ? r.map((s) => s.metric.service_name) : undefined;
      });
      expect(services).toEqual([service]);
      for (const link of traceToMetricsLinks(trace, span, toMetrics)) {
        const series = await eventually(`${link.name} for ${service}: ${link.expr}`, async () => {
          const result = await promRange(link.expr, link.range);
          return result.some((s) => s.values.length > 0) ? result : undefined;
        });
        // a split by status shows errors as their own line (STATUS_CODE_ERROR), the others beside them
        if (/by \([^)]*\bstatus_code\b/.test(link.expr))
          for (const s of series) expect(s.metric.status_code, link.name).toMatch(/^STATUS_CODE_(UNSET|OK|ERROR)$/);
      }
    }
  }, 300_000);
});

describe('exemplar -> trace', () => {
  it('the View trace link of an exemplar opens a trace Jaeger has', async () => {
    const exemplars = await eventually('span-metrics exemplars', async () => {
      const found = await promExemplars(urls.prometheus, 'traces_span_metrics_duration_seconds_bucket');
      return found.length > 0 ? found : undefined;
    });
    const links = exemplarLinks(exemplars.at(-1)!.labels, destinations).flatMap((l) =>
      l.kind === 'url' ? [l.href] : [],
    );
    expect(links.length).toBeGreaterThan(0);
    for (const href of links) {
      const [pane] = exploreState(href);
      expect(byUid(pane!.datasource).type).toBe('jaeger');
      const traceId = String(pane!.queries[0]!.query);
      expect(traceId).toBe(exemplars.at(-1)!.labels.trace_id);
      const opened = await eventually(`trace ${traceId} in Jaeger`, () => jaegerTrace(urls.jaeger, traceId));
      expect(opened.spans.length).toBeGreaterThan(0);
    }
  });
});

describe('span -> logs', () => {
  it('the query of every span selects the trace’s log records of both services', async () => {
    for (const span of spans) {
      const link = traceToLogsLink(trace, span, toLogs);
      expect(link, `no logs link on ${span.operationName}`).toBeDefined();
      const selected = await eventually(`logs of the trace (${link!.expr})`, async () => {
        const lines = !stack.standins
          ? (await lokiRecords(urls.loki!, link!.expr)).map(standinAsStored)
          : select(link!.expr, await storedLines());
        return new Set(lines.map((l) => l.index.service_name)).size >= 2 ? lines : undefined;
      });
      for (const line of selected) expect(line.structuredMetadata.trace_id, line.line).toBe(trace.traceID);
      expect(selected.map((l) => l.line)).toEqual(
        expect.arrayContaining(['order confirmed', 'POST /reduce-stock 200']),
      );
    }
  });
});

describe('log line -> trace', () => {
  it('each log record of the trace has trace_id; its View trace link opens the trace with its span', async () => {
    const lines = (await storedLines()).filter((l) => l.structuredMetadata.trace_id === trace.traceID);
    expect(lines.length).toBeGreaterThan(0);
    const [field] = derivedFields;
    for (const line of lines) {
      const link = derivedFieldLink({ ...line.index, ...line.structuredMetadata }, field!);
      expect(link?.query).toBe(trace.traceID);
      expect(byUid(link!.datasourceUid!).type).toBe('jaeger');
      const opened = await jaegerTrace(urls.jaeger, link!.query);
      expect(opened?.spans.map((s) => s.spanID)).toContain(line.structuredMetadata.span_id);
    }
  });
});

// Where Grafana runs (not with the stand-ins): the same queries through Grafana, as Explore sends them.
interface Frame {
  schema?: { fields?: { name: string }[] };
  data?: { values?: unknown[][] };
}
async function dsQuery(
  uid: string,
  query: Record<string, unknown>,
  range?: { from: number; to: number },
): Promise<Frame[]> {
  const res = await fetch(`${urls.grafana}/api/ds/query`, {
    method: 'POST',
    headers: { authorization: grafanaAuth(), 'content-type': 'application/json' },
    body: JSON.stringify({
      from: String(range?.from ?? Date.now() - 3_600_000),
      to: String(Math.min(range?.to ?? Date.now(), Date.now())),
      queries: [
        { refId: 'A', datasource: { uid, type: byUid(uid).type }, maxDataPoints: 100, intervalMs: 15_000, ...query },
      ],
    }),
  });
  const body = (await res.json()) as { results?: { A?: { frames?: Frame[]; error?: string } } };
  if (!res.ok || body.results?.A?.error)
    throw new Error(`Grafana ${uid} query ${res.status}: ${body.results?.A?.error ?? JSON.stringify(body)}`);
  return body.results?.A?.frames ?? [];
}
const rows = (frames: Frame[]) => frames.reduce((n, f) => n + (f.data?.values?.[0]?.length ?? 0), 0);
const column = (frame: Frame, name: string) =>
  frame.data?.values?.[frame.schema?.fields?.findIndex((f) => f.name === name) ?? -1];

describe.runIf(Boolean(urls.grafana))('the links through Grafana', () => {
  it('every span-metrics query of every span returns data through the Prometheus datasource', async () => {
    for (const span of spans)
      for (const link of traceToMetricsLinks(trace, span, toMetrics)) {
        const frames = await dsQuery(link.datasourceUid, { expr: link.expr, range: true, instant: false }, link.range);
        expect(rows(frames), `${span.process.serviceName}: ${link.name}`).toBeGreaterThan(0);
      }
  });

  it('a span’s logs query returns the trace’s lines, with their trace_id, through the Loki datasource', async () => {
    const link = traceToLogsLink(trace, spans[0]!, toLogs)!;
    const frames = await eventually('logs through Grafana', async () => {
      const f = await dsQuery(link.datasourceUid, { expr: link.expr, queryType: 'range' }, link.range);
      return rows(f) > 0 ? f : undefined;
    });
    // What the derived field reads: each line's labels, structured metadata included.
    const labels = frames.flatMap((f) => (column(f, 'labels') ?? []) as Record<string, string>[]);
    expect(labels.length).toBeGreaterThan(0);
    for (const l of labels) expect(derivedFieldLink(l, derivedFields[0]!)?.query).toBe(trace.traceID);
  });

  it('the View trace Explore query (exemplar, log line) returns the trace through the Jaeger datasource', async () => {
    const [pane] = exploreState(
      exemplarLinks({ trace_id: trace.traceID }, destinations).flatMap((l) => (l.kind === 'url' ? [l.href] : []))[0]!,
    );
    const { refId: _refId, datasource: _ds, ...query } = pane!.queries[0]!;
    const frames = await dsQuery(pane!.datasource, query);
    expect(new Set(column(frames[0]!, 'spanID'))).toEqual(new Set(trace.spans.map((s) => s.spanID)));
  });
});
