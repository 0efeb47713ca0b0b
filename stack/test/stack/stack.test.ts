// The stack proven end to end: traffic through order-service, then each backend asked through its own API.
// `npm run test:compose` runs it against a copy of the shipped stack it starts (CI's: a Loki stand-in, no Grafana);
// `npm run test:running-stack` against a user's own `docker compose up`.
import { parser as logql } from '@grafana/lezer-logql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasources, queries } from '../helpers/grafana';
import {
  eventually,
  type JaegerSpan,
  jaegerTrace,
  type JaegerTrace,
  lokiLabels,
  lokiQuery,
  lokiQueryRange,
  parentOf,
  promExemplars,
  promQuery,
  serviceOf,
  stillMissing,
  tag,
} from './backends';
import { grafanaAuth, stack as target } from './target';
import { send, type Sent, trickle } from './traffic';

const { urls } = target;
let stopTrickle: (() => Promise<void>) | undefined;

const placed: Sent[] = [];
const rejected: Sent[] = [];
let headphonesBefore = 0;

const sum = async (query: string) =>
  (await promQuery(urls.prometheus, query)).reduce((n, s) => n + Number(s.value[1]), 0);
const stockOf = async (id: number) =>
  ((await send(urls.order, 'GET', '/list-products')).body.products as { id: number; stock: number }[]).find(
    (p) => p.id === id,
  )!.stock;

beforeAll(async () => {
  // Stock for this file's orders, whatever earlier runs on the same data_volumes/ left.
  for (const [id, quantity] of [
    [4, 6],
    [2, 20],
  ])
    await send(urls.inventory, 'POST', '/restock', { product_id: id, quantity });
  headphonesBefore = await stockOf(4);
  for (let i = 0; i < 6; i++)
    placed.push(
      await send(urls.order, 'POST', '/order-product', { username: `stack${i}`, product_id: 4, quantity: 1 }),
    );
  rejected.push(await send(urls.order, 'POST', '/order-product', { username: 'stack', product_id: 424242 }));
  rejected.push(await send(urls.order, 'POST', '/order-product', { username: 'stack', product_id: 1, quantity: 999 }));
  rejected.push(await send(urls.order, 'POST', '/order-product', { username: 'stack', product_id: 'x' }));
  stopTrickle = trickle(urls.order, urls.inventory);
}, 180_000);

afterAll(async () => {
  await stopTrickle?.();
}, 120_000);

describe('traffic', () => {
  it('orders succeed and fail as they should', () => {
    expect(placed.map((s) => s.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(rejected.map((s) => s.status)).toEqual([404, 409, 400]);
  });
});

describe('Prometheus', () => {
  beforeAll(async () => {
    await eventually('order metrics in Prometheus', async () =>
      (await sum('orders_placed_total')) >= 6 && (await sum('traces_span_metrics_calls_total')) > 0 ? true : undefined,
    );
  }, 120_000);

  it('has both services’ HTTP server metrics with http.route and the dashboards’ resource labels', async () => {
    const series = await promQuery(urls.prometheus, 'http_server_request_duration_seconds_count');
    const routes = new Set(series.map((s) => `${s.metric.service_name} ${s.metric.http_route}`));
    expect(routes).toContain('order-service /order-product');
    expect(routes).toContain('inventory-service /reduce-stock');
    for (const s of series) {
      expect(s.metric.deployment_environment_name, JSON.stringify(s.metric)).toBeTruthy();
      expect(s.metric.service_instance_id).toBeTruthy();
      expect(s.metric.service_version).toBeTruthy();
      expect(s.metric.job).toBe(s.metric.service_name);
    }
  });

  it('has the client metric of the call to inventory-service, and no client metric of OTLP exports', async () => {
    const client = await promQuery(
      urls.prometheus,
      'http_client_request_duration_seconds_count{service_name="order-service"}',
    );
    expect(client.length).toBeGreaterThan(0);
    expect(client.some((s) => s.metric.server_port === '4318' || s.metric.server_address === 'otel-collector')).toBe(
      false,
    );
  });

  it('has the business metrics', async () => {
    expect(await sum('orders_placed_total')).toBeGreaterThanOrEqual(6);
    expect(await sum('orders_rejected_total{reason="unknown_product"}')).toBeGreaterThanOrEqual(1);
    expect(await sum('orders_rejected_total{reason="out_of_stock"}')).toBeGreaterThanOrEqual(1);
    const stock = await eventually('stock gauge after the orders', async () => {
      const v = await sum('inventory_stock{product_name="Headphones"}');
      return v === headphonesBefore - 6 ? v : undefined;
    });
    expect(stock).toBe(headphonesBefore - 6);
  });

  it('has Node runtime metrics', async () => {
    expect(
      (await promQuery(urls.prometheus, 'v8js_memory_heap_used_bytes{service_name="order-service"}')).length,
    ).toBeGreaterThan(0);
  });

  it('has span metrics, with exemplars that lead to traces in Jaeger', async () => {
    // The connector flushes every 15 s and Prometheus scrapes after: the server span's series may come last.
    const names = await eventually('the order-service server span in span metrics', async () => {
      const calls = await promQuery(
        urls.prometheus,
        'traces_span_metrics_calls_total{service_name="order-service",span_kind="SPAN_KIND_SERVER"}',
      );
      const found = calls.map((c) => c.metric.span_name);
      return found.includes('POST /order-product') ? found : undefined;
    });
    expect(names).toContain('POST /order-product');
    const exemplars = await eventually('exemplars', async () => {
      const found = await promExemplars(
        urls.prometheus,
        'traces_span_metrics_duration_seconds_bucket{service_name="order-service"}',
      );
      return found.length > 0 ? found : undefined;
    });
    const traceId = exemplars[0]!.labels.trace_id!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await eventually('the exemplar trace in Jaeger', () => jaegerTrace(urls.jaeger, traceId));
  });

  it('the Collector refused and failed nothing', async () => {
    expect(await sum('{__name__=~"otelcol_receiver_accepted_.*",job="otel-collector"}')).toBeGreaterThan(0);
    expect(await sum('{__name__=~"otelcol_receiver_refused_.*",job="otel-collector"}')).toBe(0);
    expect(await sum('{__name__=~"otelcol_exporter_send_failed_.*",job="otel-collector"}')).toBe(0);
  });

  it('every PromQL query of the Grafana dashboards returns data', async () => {
    // The Database dashboard's pool and query panels have data on PostgreSQL only: postgres.test.ts runs them there.
    const promQueries = queries().filter((q) => q.uid === 'prometheus' && !q.where.startsWith('database.json '));
    expect(promQueries.length).toBeGreaterThan(10);
    const emptyNow = async () => {
      const empty: string[] = [];
      for (const q of promQueries)
        if ((await promQuery(urls.prometheus, q.expr)).length === 0) empty.push(`${q.where}: ${q.expr}`);
      return empty;
    };
    // a fresh stack: the 30d budget series are recorded once a minute, after two scrapes of the orders
    expect(await stillMissing('data for every dashboard query', emptyNow, 150_000)).toEqual([]);
  }, 180_000);
});

describe('Jaeger', () => {
  let trace: JaegerTrace;
  beforeAll(async () => {
    trace = await eventually('the order trace in Jaeger', async () => {
      const t = await jaegerTrace(urls.jaeger, placed[0]!.traceId);
      // Both services' spans arrive separately: wait for the whole trace.
      return t && new Set(Object.values(t.processes).map((p) => p.serviceName)).size >= 2 && t.spans.length >= 8
        ? t
        : undefined;
    });
  }, 120_000);

  it('one order’s trace holds spans of both services and the databases, with the right parents', () => {
    const find = (service: string, name: string) =>
      trace.spans.find((s) => serviceOf(trace, s) === service && s.operationName === name)!;
    const orderServer = find('order-service', 'POST /order-product');
    const place = find('order-service', 'order.place');
    const client = trace.spans.find(
      (s) =>
        serviceOf(trace, s) === 'order-service' &&
        tag(s, 'span.kind') === 'client' &&
        tag(s, 'http.request.method') === 'POST',
    )!;
    const ancestors = (span: JaegerSpan): string[] => {
      const parent = trace.spans.find((s) => s.spanID === parentOf(span));
      return parent ? [parent.spanID, ...ancestors(parent)] : [];
    };
    const inventoryServer = find('inventory-service', 'POST /reduce-stock');
    const reduce = find('inventory-service', 'inventory.reduce_stock');
    const update = find('inventory-service', 'UPDATE products');
    const insert = find('order-service', 'INSERT orders');
    expect(tag(orderServer, 'http.route')).toBe('/order-product');
    // order.place is a descendant of the server span (directly, or through express's handler span when on).
    expect(ancestors(place)).toContain(orderServer.spanID);
    expect(parentOf(client)).toBe(place.spanID);
    expect(parentOf(inventoryServer)).toBe(client.spanID);
    expect(ancestors(reduce)).toContain(inventoryServer.spanID);
    expect(parentOf(update)).toBe(reduce.spanID);
    expect(parentOf(insert)).toBe(place.spanID);
    expect(tag(update, 'db.system.name')).toBe('sqlite');
    expect(tag(place, 'app.outcome')).toBe('reduced');
  });

  it('marks errors: the client span of a refused order is an error', async () => {
    const refused = await eventually('the out-of-stock trace', () => jaegerTrace(urls.jaeger, rejected[1]!.traceId));
    const client = refused.spans.find(
      (s) => tag(s, 'span.kind') === 'client' && tag(s, 'http.request.method') === 'POST',
    )!;
    expect(tag(client, 'error')).toBe(true);
    expect(tag(client, 'http.response.status_code')).toBe(409);
  });
});

/** A LogQL metric query (a number per series) rather than a log query (lines), by LogQL's grammar. */
const isMetricQuery = (expr: string) => logql.parse(expr).topNode.firstChild?.firstChild?.name === 'MetricExpr';

describe('logs', () => {
  it('log records of both services carry the trace and span ids of the trace in Jaeger', async () => {
    const traceId = placed[1]!.traceId;
    const records = await eventually('the order’s logs', async () => {
      const r = await target.logsOfTrace(traceId);
      return new Set(r.map((x) => x.service)).size >= 2 ? r : undefined;
    });
    expect(records.map((r) => `${r.service}: ${r.body}`)).toEqual(
      expect.arrayContaining([
        'order-service: order confirmed',
        'order-service: POST /order-product 201',
        'inventory-service: POST /reduce-stock 200',
      ]),
    );
    for (const r of records) {
      expect(r.traceId).toBe(traceId);
      expect(r.spanId, `${r.service}: ${r.body}`).toMatch(/^[0-9a-f]{16}$/);
    }
    // Each record's span is a span of the trace in Jaeger (what "Logs for this span" relies on).
    const spanIds = records.map((r) => r.spanId);
    const trace = await eventually('the same trace in Jaeger, with every logged span', async () => {
      const t = await jaegerTrace(urls.jaeger, traceId);
      return t && spanIds.every((id) => t.spans.some((s) => s.spanID === id)) ? t : undefined;
    });
    expect(trace.spans.map((s) => s.spanID)).toEqual(expect.arrayContaining(spanIds));
  });

  // The stand-in of the compose run keeps what the Collector sent: Loki's index itself needs real Loki.
  it('keeps trace and span ids as record fields, and service.name on the resource', async () => {
    const records = await target.logsOfTrace(placed[1]!.traceId);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect(r.labels['service.name'] ?? r.labels.service_name).toBe(r.service);
  });
});

describe.runIf(!target.standins)('Loki (not the stand-in)', () => {
  it('indexes service.name and deployment.environment.name, not trace or span ids', async () => {
    const labels = await lokiLabels(urls.loki!);
    expect(labels).toEqual(expect.arrayContaining(['service_name', 'deployment_environment_name']));
    expect(labels).not.toContain('trace_id');
    expect(labels).not.toContain('span_id');
  });

  it('every LogQL query of the Grafana dashboards returns data', async () => {
    const logQueries = queries().filter((q) => q.uid === 'loki');
    expect(logQueries.length).toBeGreaterThan(0);
    const emptyNow = async () => {
      const empty: string[] = [];
      for (const q of logQueries) {
        try {
          // Metric queries at this instant (their range vectors cover the last minutes of trickle traffic), log
          // queries over the last hour.
          const data = isMetricQuery(q.expr)
            ? await lokiQuery(urls.loki!, q.expr)
            : await lokiQueryRange(urls.loki!, q.expr, 10);
          if (data.result.length === 0) empty.push(`${q.where}: ${q.expr}`);
        } catch (err) {
          empty.push(`${q.where}: ${q.expr}: ${String(err)}`);
        }
      }
      return empty;
    };
    // a fresh stack: the 30d budget series are recorded once a minute, after two scrapes of the orders
    expect(await stillMissing('data for every dashboard LogQL query', emptyNow, 150_000)).toEqual([]);
  }, 180_000);
});

describe('faults', () => {
  const ordersWhile = async (n: number) => {
    const sent: Sent[] = [];
    for (let i = 0; i < n; i++)
      sent.push(await send(urls.order, 'POST', '/order-product', { username: 'fault', product_id: 2, quantity: 1 }));
    return sent;
  };

  it('Collector stopped mid-traffic: no request fails; telemetry resumes when it is back', async () => {
    await target.stop('otel-collector');
    const during = await ordersWhile(10);
    expect(during.map((s) => s.status)).toEqual(Array(10).fill(201));
    expect(Math.max(...during.map((s) => s.ms))).toBeLessThan(2_000);
    const placedBefore = await sum('orders_placed_total');
    await target.start('otel-collector');
    const after = await ordersWhile(3);
    expect(after.map((s) => s.status)).toEqual([201, 201, 201]);
    await eventually('a trace sent after the restart', () => jaegerTrace(urls.jaeger, after[2]!.traceId));
    await eventually('logs sent after the restart', async () =>
      (await target.logsOfTrace(after[2]!.traceId)).length > 0 ? true : undefined,
    );
    await eventually('metrics after the restart', async () =>
      (await sum('orders_placed_total')) >= placedBefore + 3 ? true : undefined,
    );
  }, 300_000);

  it('Jaeger stopped: the Collector keeps metrics and logs flowing', async () => {
    await target.stop('jaeger');
    try {
      const placedBefore = await sum('orders_placed_total');
      const during = await ordersWhile(3);
      expect(during.map((s) => s.status)).toEqual([201, 201, 201]);
      await eventually('logs while Jaeger is down', async () =>
        (await target.logsOfTrace(during[2]!.traceId)).length > 0 ? true : undefined,
      );
      await eventually('metrics while Jaeger is down', async () =>
        (await sum('orders_placed_total')) >= placedBefore + 3 ? true : undefined,
      );
    } finally {
      await target.start('jaeger');
    }
  }, 300_000);
});

// Where Grafana runs (not with the stand-ins), after the traffic above.
const grafana = urls.grafana ?? '';
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${grafana}${path}`, {
    ...init,
    headers: { authorization: grafanaAuth(), 'content-type': 'application/json', ...init.headers },
  });

describe.runIf(!target.standins)('Grafana (not with the stand-ins)', () => {
  it.each(datasources().map((d) => [d.uid as string]))('datasource %s is healthy', async (uid) => {
    const res = await api(`/api/datasources/uid/${uid}/health`);
    const body = (await res.json()) as { status?: string; message?: string };
    expect(body.status, body.message).toBe('OK');
  });

  it('every dashboard query returns data', async () => {
    const empty: string[] = [];
    for (const q of queries().filter((x) => x.uid === 'prometheus' || x.uid === 'loki')) {
      const res = await api('/api/ds/query', {
        method: 'POST',
        body: JSON.stringify({
          from: 'now-1h',
          to: 'now',
          queries: [
            {
              refId: 'A',
              datasource: { uid: q.uid },
              expr: q.expr,
              queryType: 'range',
              maxDataPoints: 100,
              intervalMs: 15_000,
            },
          ],
        }),
      });
      const body = (await res.json()) as { results?: { A?: { frames?: { data?: { values?: unknown[][] } }[] } } };
      const frames = body.results?.A?.frames ?? [];
      const points = frames.reduce((n, f) => n + (f.data?.values?.[0]?.length ?? 0), 0);
      if (points === 0) empty.push(`${q.where}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
  });
});
