// Over the wire, on PostgreSQL: both services as real processes with DATABASE_URL, exporting OTLP/HTTP to a
// receiver in this test. instrumentation-pg is on by default there: its spans sit under the business spans of the
// order's trace (and nothing else makes a root trace of queries), its pool metrics and ostack.database.up arrive.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, type KeyValue, OtlpReceiver } from '@ostack/test-support/otlp-receiver';
import { postgresMissing, PostgresServer } from '@ostack/test-support/postgres';
import { freePort, spawned, spawnService, waitHealthy } from './processes';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: KeyValue[];
}

interface Metric {
  name: string;
  gauge?: { dataPoints: { asInt?: string; asDouble?: number; attributes: KeyValue[] }[] };
}

const missing = postgresMissing();
const receiver = new OtlpReceiver();
let server: PostgresServer;
let traceId: string;

beforeAll(async () => {
  if (missing) return;
  server = await PostgresServer.start();
  const otlp = await receiver.start();
  const [orderPort, inventoryPort] = [await freePort(), await freePort()];
  const common = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_METRIC_EXPORT_INTERVAL: '60000' };
  const inventory = spawnService('inventory-service', {
    ...common,
    PORT: String(inventoryPort),
    DATABASE_URL: await server.createDatabase('inventory'),
  });
  const order = spawnService('order-service', {
    ...common,
    PORT: String(orderPort),
    DATABASE_URL: await server.createDatabase('orders'),
    INVENTORY_SERVICE_URL: `http://127.0.0.1:${inventoryPort}`,
  });
  const urls = [`http://127.0.0.1:${orderPort}`, `http://127.0.0.1:${inventoryPort}`];
  await Promise.all(urls.map((u) => waitHealthy(u)));
  for (const u of urls) {
    const deadline = Date.now() + 20_000;
    while (!(await fetch(`${u}/ready`)).ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }
  const res = await fetch(`${urls[0]}/order-product`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'wire', product_id: 3, quantity: 2 }),
  });
  expect(res.status).toBe(201);
  await new Promise((r) => setTimeout(r, 2_500)); // a probe or two, a reconciler poll: none may make a trace
  for (const child of [order, inventory]) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}, 60_000);

afterAll(async () => {
  for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
  await receiver.stop();
  await server?.stop();
});

function spansBy(service: string): Span[] {
  return receiver
    .resources('traces')
    .filter((rs) => attr(rs.resource.attributes, 'service.name') === service)
    .flatMap((rs) => (rs as unknown as { scopeSpans: { spans: Span[] }[] }).scopeSpans.flatMap((s) => s.spans));
}

describe.skipIf(missing)(`both services on PostgreSQL, over OTLP${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it("pg spans of both services in the order's trace, under the business spans", () => {
    const all = [...spansBy('order-service'), ...spansBy('inventory-service')];
    traceId = all.find((s) => s.name === 'POST /order-product')!.traceId;
    const byId = new Map(all.map((s) => [s.spanId, s]));
    /** The nearest ancestor that is not a pg span. */
    const owner = (s: Span): string | undefined => {
      for (let p = byId.get(s.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? '')) {
        if (!p.name.startsWith('pg')) return p.name;
      }
      return undefined;
    };
    for (const [service, parent] of [
      ['order-service', 'order.place'],
      ['inventory-service', 'inventory.reduce_stock'],
    ] as const) {
      const pg = spansBy(service).filter((s) => attr(s.attributes, 'db.system.name') === 'postgresql');
      const queries = pg.filter((s) => s.name.startsWith('pg.query:'));
      expect(queries.length, service).toBeGreaterThan(0);
      for (const s of pg) {
        expect(s.traceId, `${service} ${s.name}`).toBe(traceId);
        expect(owner(s), `${service} ${s.name}`).toBe(parent);
      }
    }
    // Named for the prepared statement and the database: what a user sees in Jaeger.
    const names = spansBy('inventory-service').map((s) => s.name);
    expect(names.filter((n) => /^pg\.query:products\.reduce inventory_\w+$/.test(n))).toHaveLength(1);
  });

  it('metrics: instrumentation-pg pool and operation metrics, ostack.database.up = 1 (postgresql)', () => {
    const metrics = receiver
      .resources('metrics')
      .flatMap((rm) =>
        (rm as unknown as { scopeMetrics: { metrics: Metric[] }[] }).scopeMetrics.flatMap((s) => s.metrics),
      );
    const names = new Set(metrics.map((m) => m.name));
    for (const n of ['db.client.connection.count', 'db.client.operation.duration', 'ostack.database.up']) {
      expect(names).toContain(n);
    }
    const up = metrics.filter((m) => m.name === 'ostack.database.up').flatMap((m) => m.gauge!.dataPoints);
    expect(up.length).toBe(2);
    for (const p of up) {
      expect(Number(p.asInt ?? p.asDouble)).toBe(1);
      expect(attr(p.attributes, 'db.system.name')).toBe('postgresql');
    }
  });
});
