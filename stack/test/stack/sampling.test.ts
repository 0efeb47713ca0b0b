// Sampling in the Collector, proven on the running stack (config_volumes/otel-collector/config.yaml):
// with a share set, every error trace and every slow trace reaches Jaeger, the others exactly by the trace-id rule
// (and so within a tolerance of the share), span metrics still count every request, every exemplar opens a
// trace Jaeger has; logs below the level never reach the logs backend, errors always do, and the access logs
// kept are those of the traces kept. Traffic goes through order-service -> inventory-service (GET /list-products),
// so a trace is both services' spans, exported separately, as in real use. Restores the Collector and
// inventory-service to .env in afterAll.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pool } from '../helpers/pool';
import { inShare } from '../helpers/share';
import { eventually, type LogRecord, promExemplars, promQuery, selector } from './backends';
import { stack } from './target';
import { send, type Sent } from './traffic';

const { urls } = stack;
const SHARE = 20; // percent of the other traces kept while this file runs
const SLOW_MS = 500;
const OTHERS = 3000; // fast, successful traces for the share
// Binomial: n = 3000, p = 0.2 gives a standard deviation of 0.73 points; 3 points is 4 of them.
const TOLERANCE_POINTS = 3;
const started = Date.now();
/** The Collector processes that had span metrics before this file recreated the Collector. */
let before = new Set<string>();
/** A Collector recreated here exports as a new instance (label collector_instance_id), its counts from zero. */
const freshInstance = () => ({ OSTACK_COLLECTOR_INSTANCE_ID: `otel-collector-${randomUUID().slice(0, 8)}` });

const listings = (n: number, limit = 16) =>
  pool(Array.from({ length: n }), limit, () => send(urls.order, 'GET', '/list-products'));

interface TimedSpan {
  processID: string;
  startTime: number; // µs
  duration: number; // µs
}
interface TimedTrace {
  spans: TimedSpan[];
  processes: Record<string, { serviceName: string }>;
}
async function trace(traceId: string): Promise<TimedTrace | undefined> {
  const res = await fetch(`${urls.jaeger}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`Jaeger ${res.status}`);
  return ((await res.json()) as { data?: TimedTrace[] }).data?.[0];
}
const services = (t: TimedTrace) => new Set(t.spans.map((s) => t.processes[s.processID]!.serviceName));
/** Whole: both services' spans have arrived (each service exports its own). */
const whole = (t: TimedTrace | undefined) => (t && services(t).size >= 2 ? t : undefined);
const durationMs = (t: TimedTrace) =>
  (Math.max(...t.spans.map((s) => s.startTime + s.duration)) - Math.min(...t.spans.map((s) => s.startTime))) / 1000;

/** What Jaeger has of each trace, once every trace in `mustHave` is there whole (or 2 minutes have passed: the
 * tests then name the missing ones). */
async function lookUp(sent: Sent[], mustHave: (s: Sent) => boolean): Promise<Map<string, TimedTrace | undefined>> {
  const found = new Map<string, TimedTrace | undefined>();
  await eventually(
    'every trace that must be kept, whole in Jaeger',
    async () => {
      const missing = sent.filter((s) => mustHave(s) && !whole(found.get(s.traceId)));
      for (const [s, t] of await pool(missing, 8, async (s) => [s, await trace(s.traceId)] as const))
        found.set(s.traceId, t);
      return sent.every((s) => !mustHave(s) || whole(found.get(s.traceId))) ? true : undefined;
    },
    120_000,
  ).catch(() => undefined);
  const rest = sent.filter((s) => !found.has(s.traceId));
  for (const [s, t] of await pool(rest, 8, async (s) => [s, await trace(s.traceId)] as const)) found.set(s.traceId, t);
  return found;
}

/** How far back the span-metric series are read: longer than this file runs. */
const WINDOW = '30m';
/** The Collector instances whose span metrics Prometheus had over WINDOW (each recreation here has its own id). */
const collectorIds = async () =>
  new Set(
    (
      await promQuery(
        urls.prometheus,
        `count by (collector_instance_id) (last_over_time(traces_span_metrics_calls_total[${WINDOW}]))`,
      )
    ).map((s) => s.metric.collector_instance_id!),
  );

/**
 * The series of `calls` from Collector processes started after `before` was taken (each counts from zero), each
 * at its highest over WINDOW: a series the Collector stopped exporting keeps its last count (the
 * inventory-service instances the fault toggles replace are forgotten after span_metrics' metrics_expiration).
 */
const freshSeries = async (calls: string) =>
  (await promQuery(urls.prometheus, `max_over_time(${calls}[${WINDOW}])`))
    .filter((s) => !before.has(s.metric.collector_instance_id!))
    .map((s) => ({
      collector: s.metric.collector_instance_id!,
      instance: s.metric.service_instance_id,
      value: Number(s.value[1]),
    }));
/** The span-metric calls of a service's GET /list-products server spans. */
const serverCalls = (service: string, more: Record<string, string> = {}) =>
  selector('traces_span_metrics_calls_total', {
    service_name: service,
    span_name: 'GET /list-products',
    span_kind: 'SPAN_KIND_SERVER',
    ...more,
  });
const freshCount = async (calls: string) => {
  const series = await freshSeries(calls);
  // exactly one fresh Collector: a restart in between would have lost the counts of the spans it held
  if (new Set(series.map((s) => s.collector)).size !== 1) return undefined;
  return series.reduce((sum, s) => sum + s.value, 0);
};

/** Waits until the recreated Collector takes OTLP again (it has no healthcheck). */
const collectorUp = () =>
  eventually('the Collector’s OTLP receiver', async () => {
    const res = await fetch(`${urls.collector}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    return res.ok ? true : undefined;
  });

/** One OTLP log record of every severity number, straight to the Collector, told apart by `run`. */
async function everySeverity(run: string): Promise<void> {
  const logRecords = Array.from({ length: 25 }, (_, n) => ({
    timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
    severityNumber: n,
    body: { stringValue: `${run} severity ${n}` },
  }));
  const body = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'sampling-test' } }] },
        scopeLogs: [{ logRecords }],
      },
    ],
  };
  const res = await fetch(`${urls.collector}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}
const severitiesOf = (records: LogRecord[], run: string) =>
  records
    .filter((r) => r.body.startsWith(`${run} severity `))
    .map((r) => Number(r.body.split(' ').at(-1)))
    .sort((a, b) => a - b);

afterAll(async () => {
  await stack.recreate('inventory-service', {});
  await stack.recreate('otel-collector', {});
}, 300_000);

describe('traces: tail sampling at a share of 20 %, logs from WARN up', () => {
  let others: Sent[] = [];
  let failing: Sent[] = [];
  let slow: Sent[] = [];
  let kept = new Map<string, TimedTrace | undefined>();

  beforeAll(async () => {
    // The earlier files' last requests may still sit in the SDKs' span batches (exported every 5 s): let them reach
    // the Collector about to be replaced, or the fresh one would count them among this file's.
    await new Promise((r) => setTimeout(r, 8_000));
    before = await collectorIds();
    await stack.recreate('otel-collector', {
      ...freshInstance(),
      OSTACK_TRACES_SAMPLE_PERCENT: String(SHARE),
      OSTACK_TRACES_SLOW_MS: String(SLOW_MS),
      OSTACK_LOGS_MIN_SEVERITY: 'WARN',
    });
    await collectorUp();
    others = await listings(OTHERS);
    await stack.recreate('inventory-service', { INVENTORY_FAULT_ERROR_RATE: '0.5' });
    failing = await listings(200, 8);
    await stack.recreate('inventory-service', { INVENTORY_FAULT_LATENCY_MS: String(SLOW_MS + 200) });
    slow = await listings(60, 20);
    await everySeverity('warn-level');
    const all = [...others, ...failing, ...slow];
    kept = await lookUp(all, (s) => s.status >= 500 || slow.includes(s) || inShare(s.traceId, SHARE));
  }, 420_000);

  it('sent what it meant to: fast successes, a mix of failures, slow successes', () => {
    expect(others.every((s) => s.status === 200)).toBe(true);
    expect(failing.filter((s) => s.status === 503).length).toBeGreaterThan(50);
    expect(failing.every((s) => s.status === 200 || s.status === 503)).toBe(true);
    expect(slow.every((s) => s.status === 200 && s.ms > SLOW_MS)).toBe(true);
  });

  it('keeps every error trace and every slow trace, whole', () => {
    // lookUp waited for exactly these (and the share) to be whole in Jaeger
    for (const s of [...failing.filter((x) => x.status >= 500), ...slow])
      expect(whole(kept.get(s.traceId)), s.traceId).toBeDefined();
  });

  it('keeps the other traces exactly by the trace-id rule, so the share is within 3 points of 20 %', () => {
    const ruled = others.filter((s) => inShare(s.traceId, SHARE));
    for (const s of ruled) expect(whole(kept.get(s.traceId)), s.traceId).toBeDefined();
    // Anything else Jaeger has was kept for being slow: a fast request on a busy machine can take > SLOW_MS.
    const beyond = others.filter((s) => !inShare(s.traceId, SHARE) && kept.get(s.traceId));
    for (const s of beyond) expect(durationMs(kept.get(s.traceId)!), s.traceId).toBeGreaterThan(SLOW_MS);
    const share = (100 * others.filter((s) => kept.get(s.traceId)).length) / others.length;
    expect(Math.abs(share - SHARE), `kept ${share.toFixed(1)} %`).toBeLessThanOrEqual(TOLERANCE_POINTS);
  });

  it('counts every request in span metrics, sampled or not', async () => {
    const all = [...others, ...failing, ...slow];
    const sent = all.length;
    // A request sent again after a socket error was handled once or twice: the count is exact without retries.
    const retried = all.filter((s) => s.retried).length;
    const errors = failing.filter((s) => s.status >= 500).length;
    for (const service of ['order-service', 'inventory-service']) {
      const calls = serverCalls(service);
      const counted = () => freshCount(calls);
      const exact = (n?: number) => n !== undefined && n >= sent && n <= sent + retried;
      await eventually(
        `${sent} calls of ${service} in Prometheus`,
        async () => (exact(await counted()) ? true : undefined),
        90_000,
      ).catch(() => undefined);
      const detail = `${service}: ${JSON.stringify(await freshSeries(calls))}`;
      const n = await counted();
      expect(n, detail).toBeGreaterThanOrEqual(sent);
      expect(n, `${detail}; ${retried} sent again`).toBeLessThanOrEqual(sent + retried);
    }
    // errors counted as errors, all of them
    expect(await freshCount(serverCalls('order-service', { status_code: 'STATUS_CODE_ERROR' }))).toBe(errors);
  });

  it('every exemplar on the span-metric histogram opens a trace Jaeger has', async () => {
    const exemplars = (await promExemplars(urls.prometheus, 'traces_span_metrics_duration_seconds_bucket')).filter(
      (e) => e.timestamp * 1000 >= started,
    );
    const ids = [...new Set(exemplars.map((e) => e.labels.trace_id!))];
    expect(ids.length).toBeGreaterThan(0);
    // The newest exemplars may point at traces still inside decision_wait: a dead link never turns up.
    let dead = ids;
    await eventually(
      'the trace of every exemplar',
      async () => {
        dead = (await pool(dead, 8, async (id) => ((await trace(id)) ? undefined : id))).filter(
          (id): id is string => id !== undefined,
        );
        return dead.length === 0 ? true : undefined;
      },
      60_000,
    ).catch(() => undefined);
    expect(dead).toEqual([]);
  });

  it('no record below WARN reaches the logs backend; every error record does', async () => {
    const records = await eventually('the level test records', async () => {
      const r = await stack.logRecords();
      return severitiesOf(r, 'warn-level').length > 0 ? r : undefined;
    });
    // WARN (13) and up, and the record without a severity (0)
    expect(severitiesOf(records, 'warn-level')).toEqual([0, ...Array.from({ length: 12 }, (_, i) => 13 + i)]);
    const ours = new Set([...others, ...failing, ...slow].map((s) => s.traceId));
    const below = records.filter((r) => ours.has(r.traceId) && r.severityNumber < 13);
    expect(below.map((r) => `${r.service}: ${r.body}`)).toEqual([]);
    // Each failed request: order-service's 503 and inventory-service's 500 access lines, at ERROR, in its trace.
    for (const s of failing.filter((x) => x.status >= 500)) {
      const lines = records
        .filter((r) => r.traceId === s.traceId && r.severityNumber >= 17)
        .map((r) => `${r.service}: ${r.body}`);
      expect(lines, s.traceId).toEqual(
        expect.arrayContaining(['order-service: GET /list-products 503', 'inventory-service: GET /list-products 500']),
      );
    }
  });
});

describe('logs: access logs of successful requests at a share of 20 %, the same trace-id rule as traces', () => {
  let sent: Sent[] = [];
  let records: LogRecord[] = [];
  let kept = new Map<string, TimedTrace | undefined>();

  beforeAll(async () => {
    await stack.recreate('inventory-service', {});
    await stack.recreate('otel-collector', {
      ...freshInstance(),
      OSTACK_TRACES_SAMPLE_PERCENT: String(SHARE),
      OSTACK_LOGS_ACCESS_SAMPLE_PERCENT: String(SHARE),
    });
    await collectorUp();
    sent = await listings(500);
    await everySeverity('info-level');
    kept = await lookUp(sent, (s) => inShare(s.traceId, SHARE));
    records = await eventually('the access logs of the kept traces', async () => {
      const r = await stack.logRecords();
      const withLogs = new Set(r.map((x) => x.traceId));
      return sent.every((s) => !inShare(s.traceId, SHARE) || withLogs.has(s.traceId)) &&
        severitiesOf(r, 'info-level').length > 0
        ? r
        : undefined;
    });
  }, 300_000);

  it('keeps the access logs of exactly the traces in the share, and so only of traces Jaeger has', () => {
    expect(sent.every((s) => s.status === 200)).toBe(true);
    for (const s of sent) {
      const lines = records
        .filter((r) => r.traceId === s.traceId)
        .map((r) => `${r.service}: ${r.body}`)
        .sort();
      if (inShare(s.traceId, SHARE)) {
        expect(lines, s.traceId).toEqual([
          'inventory-service: GET /list-products 200',
          'order-service: GET /list-products 200',
        ]);
        expect(whole(kept.get(s.traceId)), s.traceId).toBeDefined();
      } else expect(lines, s.traceId).toEqual([]);
    }
  });

  it('at the default level INFO, drops TRACE and DEBUG records only', () => {
    expect(severitiesOf(records, 'info-level')).toEqual([0, ...Array.from({ length: 16 }, (_, i) => 9 + i)]);
  });
});
