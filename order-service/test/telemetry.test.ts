// In-process telemetry of both services together (what the bootstrap does by itself is tested in telemetry/test):
// the real bootstrap (startTelemetry) with in-memory exporters, both services in one process. vitest's own imports
// bypass the require hook, so the SDK starts first and the services' built CommonJS (which requires express,
// winston and http) is loaded after it, as `--require` does in production.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { DataPoint, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AxiosStatic } from 'axios';
import type * as SdkModule from '@ostack/telemetry/sdk';
import type * as TelemetryModule from '@ostack/telemetry';
import { inMemoryTelemetry } from '@ostack/test-support/in-memory-telemetry';
import { freePort } from '@ostack/test-support/net';
import { HeldCalls, InventoryGate } from './inventory-gate';
import { listen, tempDb } from './net';

const require = createRequire(__filename);
const { spans, logs, reader, sdkOptions } = inMemoryTelemetry();
// Only the sdk module: the package's index loads winston, which must wait until the SDK has started.
const { startTelemetry, readSettings } = require('@ostack/telemetry/sdk') as typeof SdkModule;
const telemetry = startTelemetry(
  sdkOptions,
  readSettings({ OTEL_SERVICE_NAME: 'telemetry-test', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test' }),
);

// Loaded only now, so that the instrumentations patch express, winston and http as --require does.
const { buildInventoryService } =
  require('@ostack/inventory-service/app') as typeof import('@ostack/inventory-service/app');
const inventoryConfig =
  require('@ostack/inventory-service/config') as typeof import('@ostack/inventory-service/config');
const { buildOrderService } = require('../dist/app.js') as typeof import('../src/app');
const orderConfig = require('../dist/config.js') as typeof import('../src/config');
const logger = (require('@ostack/telemetry') as typeof TelemetryModule).createLogger('telemetry-test', 'info');

const inventoryService = (env: Record<string, string> = {}) =>
  buildInventoryService(inventoryConfig.readConfig({ DATABASE_PATH: tempDb('inventory'), ...env }), logger, 'test');
const orderService = (inventoryUrl: string) =>
  buildOrderService(
    orderConfig.readConfig({ DATABASE_PATH: tempDb('orders'), INVENTORY_SERVICE_URL: inventoryUrl }),
    logger,
    'test',
  );

let orderUrl: string;
let closeAll: () => Promise<void>;

beforeAll(async () => {
  const inventory = inventoryService({ INVENTORY_FAULT_ERROR_RATE: '0' });
  const inventoryHttp = await listen(inventory.app);
  const orders = orderService(inventoryHttp.url);
  const ordersHttp = await listen(orders.app);
  orderUrl = ordersHttp.url;
  closeAll = async () => {
    await ordersHttp.close();
    await inventoryHttp.close();
  };
});
afterAll(async () => {
  await closeAll();
  await telemetry.shutdown();
});

const post = async (path: string, body: unknown) => {
  // axios, loaded after the SDK, so the test's own call is traced like any client's.
  const axios = require('axios') as AxiosStatic;
  return axios.post(`${orderUrl}${path}`, body, { validateStatus: () => true });
};

function traceOf(traceId: string): ReadableSpan[] {
  return spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** Serves an app again on the port it had (a restarted inventory-service, as order-service knows it). */
async function listenOn(app: import('express').Express, port: number): Promise<{ close(): Promise<void> }> {
  const server = app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('one order, one trace across both services', () => {
  let order: ReadableSpan[];
  let traceId: string;

  beforeAll(async () => {
    spans.reset();
    logs.reset();
    const res = await post('/order-product', { username: 'tracy', product_id: 2, quantity: 1 });
    expect(res.status).toBe(201);
    const server = spans
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/order-product');
    traceId = server!.spanContext().traceId;
    order = traceOf(traceId);
  });

  it('has server spans of both services with http.route, chained through the axios client span', () => {
    const orderServer = order.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/order-product',
    )!;
    const client = order.find((s) => s.kind === SpanKind.CLIENT && s.attributes['http.request.method'] === 'POST')!;
    const inventoryServer = order.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/reduce-stock',
    )!;
    expect(orderServer.name).toBe('POST /order-product');
    expect(inventoryServer.name).toBe('POST /reduce-stock');
    // W3C trace context: inventory's server span is the child of order-service's client span.
    expect(parentOf(inventoryServer)).toBe(client.spanContext().spanId);
    // ...which sits, through order.place, under order-service's server span.
    const place = order.find((s) => s.name === 'order.place')!;
    expect(parentOf(client)).toBe(place.spanContext().spanId);
    expect(order.some((s) => s.spanContext().spanId === parentOf(place))).toBe(true);
  });

  it('carries business attributes', () => {
    const place = order.find((s) => s.name === 'order.place')!;
    expect(place.attributes).toMatchObject({ 'app.product.id': 2, 'app.quantity': 1, 'app.outcome': 'reduced' });
    expect(place.attributes['app.order.id']).toBeTypeOf('number');
    const reduce = order.find((s) => s.name === 'inventory.reduce_stock')!;
    expect(reduce.attributes).toMatchObject({
      'app.product.id': 2,
      'app.outcome': 'reduced',
      'app.stock.remaining': 23,
    });
  });

  it('has database client spans per the semantic conventions, under the domain spans', () => {
    const db = order.filter((s) => s.attributes['db.system.name'] === 'sqlite');
    expect(db.map((s) => s.name)).toEqual(
      expect.arrayContaining(['INSERT orders', 'UPDATE products', 'UPDATE orders']),
    );
    const update = db.find((s) => s.name === 'UPDATE products')!;
    expect(update.kind).toBe(SpanKind.CLIENT);
    expect(update.attributes).toMatchObject({
      'db.operation.name': 'UPDATE',
      'db.collection.name': 'products',
      'db.namespace': 'inventory.db',
    });
    expect(String(update.attributes['db.query.text'])).toMatch(/^UPDATE products SET stock = stock - \?/);
    const reduce = order.find((s) => s.name === 'inventory.reduce_stock')!;
    expect(parentOf(update)).toBe(reduce.spanContext().spanId);
  });

  it('logs written while serving carry the trace id and span id, and the access log has the right severity', () => {
    const records = logs.getFinishedLogRecords().filter((r) => r.spanContext?.traceId === traceId);
    const bodies = records.map((r) => String(r.body));
    expect(bodies).toEqual(
      expect.arrayContaining(['order confirmed', 'POST /order-product 201', 'POST /reduce-stock 200']),
    );
    for (const r of records) expect(r.spanContext?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(records.find((r) => r.body === 'POST /order-product 201')!.severityText).toBe('info');
  });
});

describe('failures are visible', () => {
  it('a 404 from inventory is a warning, not an error span; the access log says warn', async () => {
    spans.reset();
    logs.reset();
    const res = await post('/order-product', { username: 'x', product_id: 999 });
    expect(res.status).toBe(404);
    const server = spans
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/order-product')!;
    expect(server.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(logs.getFinishedLogRecords().find((r) => r.body === 'POST /order-product 404')!.severityText).toBe('warn');
  });
});

describe('retries are visible in traces', () => {
  it('client retry (same key): app.retry on order.place; reconciler: order.retry under order.reconcile', async () => {
    const inventory = inventoryService();
    const first = await listen(inventory.app);
    const { port } = new URL(first.url);
    let inventoryHttp: { close(): Promise<void> } = first;
    const orders = orderService(first.url);
    const ordersHttp = await listen(orders.app);
    const axios = require('axios') as AxiosStatic;
    const place = (key?: string) =>
      axios.post(
        `${ordersHttp.url}/order-product`,
        { username: 'again', product_id: 3 },
        {
          headers: key ? { 'idempotency-key': key } : {},
          validateStatus: () => true,
        },
      );
    await inventoryHttp.close(); // inventory down: both orders are left pending
    expect((await place('retry-1')).status).toBe(503);
    expect((await place()).status).toBe(503);
    inventoryHttp = await listenOn(inventory.app, Number(port));

    spans.reset();
    expect((await place('retry-1')).status).toBe(201);
    const retried = spans.getFinishedSpans().find((s) => s.name === 'order.place')!;
    expect(retried.attributes).toMatchObject({
      'app.retry': true,
      'app.idempotent_replay': true,
      'app.idempotency_key': 'retry-1',
      'app.outcome': 'reduced',
    });

    spans.reset();
    expect(await orders.orders.reconcile(-60_000, 60_000)).toBe(1);
    const reconcile = spans.getFinishedSpans().find((s) => s.name === 'order.reconcile')!;
    const retry = spans.getFinishedSpans().find((s) => s.name === 'order.retry')!;
    expect(reconcile.attributes).toMatchObject({ 'app.orders.pending': 1 });
    expect(parentOf(retry)).toBe(reconcile.spanContext().spanId);
    expect(retry.attributes).toMatchObject({ 'app.retry': true, 'app.outcome': 'reduced' });
    expect(retry.attributes['app.order.id']).toBeTypeOf('number');

    await ordersHttp.close();
    await inventoryHttp.close();
    await orders.close();
    await inventory.close();
  });
});

/** The sum of a counter's points, of those whose attributes include `match`, as collected now (cumulative). */
async function counted(name: string, match: Record<string, string> = {}): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let sum = 0;
  for (const metric of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
    if (metric.descriptor.name !== name) continue;
    for (const point of metric.dataPoints as DataPoint<number>[]) {
      if (Object.entries(match).every(([k, v]) => point.attributes[k] === v)) sum += point.value;
    }
  }
  return sum;
}

describe('orders are counted as they are settled; "left pending" is not a rejection', () => {
  let inventory: ReturnType<typeof inventoryService>;
  let inventoryPort: number;
  let inventoryHttp: { close(): Promise<void> } | undefined;
  let orders: ReturnType<typeof orderService>;
  let ordersHttp: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    inventory = inventoryService();
    inventoryPort = await freePort(); // nothing listens there until a test brings inventory-service up
    orders = orderService(`http://127.0.0.1:${inventoryPort}`);
    ordersHttp = await listen(orders.app);
  });
  afterAll(async () => {
    await inventoryHttp?.close();
    await ordersHttp.close();
    await orders.close();
    await inventory.close();
  });

  const up = async () => (inventoryHttp = await listenOn(inventory.app, inventoryPort));
  const down = async () => {
    await inventoryHttp?.close();
    inventoryHttp = undefined;
  };
  const place = (key: string, product_id: number, quantity = 1) =>
    (require('axios') as AxiosStatic).post(
      `${ordersHttp.url}/order-product`,
      { username: 'counted', product_id, quantity },
      { headers: { 'idempotency-key': key }, validateStatus: () => true },
    );
  const counts = async () => ({
    placed: await counted('orders.placed'),
    rejected: await counted('orders.rejected'),
    outOfStock: await counted('orders.rejected', { reason: 'out_of_stock' }),
    leftPending: await counted('orders.left_pending', { reason: 'inventory_unavailable' }),
  });
  const since = async (before: Awaited<ReturnType<typeof counts>>) => {
    const now = await counts();
    return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - before[k as keyof typeof now]]));
  };

  it('answered 503, then confirmed by the reconciler: once placed, once left pending, never rejected', async () => {
    await down();
    const before = await counts();
    const res = await place('counted-reconciled', 4);
    expect(res.status).toBe(503);
    expect(res.data.error).toMatchObject({ code: 'inventory_unavailable', order_status: 'pending' });
    await up();
    expect(await orders.orders.reconcile(-60_000, 60_000)).toBe(1);
    expect((await orders.store.findByKey('counted-reconciled'))!.status).toBe('confirmed');
    expect(await since(before)).toEqual({ placed: 1, rejected: 0, outOfStock: 0, leftPending: 1 });
  });

  it('a client retry that fails again does not count the order again; its success counts it placed', async () => {
    await down();
    const before = await counts();
    expect((await place('counted-retried', 4)).status).toBe(503);
    expect((await place('counted-retried', 4)).status).toBe(503);
    await up();
    expect((await place('counted-retried', 4)).status).toBe(201);
    expect(await since(before)).toEqual({ placed: 1, rejected: 0, outOfStock: 0, leftPending: 1 });
  });

  it('answered 503, then settled rejected by the reconciler: counted rejected for its own reason', async () => {
    await down();
    const before = await counts();
    expect((await place('counted-refused', 1, 1_000)).status).toBe(503);
    await up();
    expect(await orders.orders.reconcile(-60_000, 60_000)).toBe(1);
    expect(await orders.store.findByKey('counted-refused')).toMatchObject({
      status: 'rejected',
      reason: 'out_of_stock',
    });
    expect(await since(before)).toEqual({ placed: 0, rejected: 1, outOfStock: 1, leftPending: 1 });
  });
});

describe('the reconciler', () => {
  it('ends order.reconcile, with an error, when a pass is cut short (its store closed under it, as at shutdown)', async () => {
    const inventory = inventoryService();
    const inventoryHttp = await listen(inventory.app);
    const held = new HeldCalls();
    const gate = await InventoryGate.start(inventoryHttp.url, held);
    const orders = orderService(gate.url);
    for (const key of ['cut-1', 'cut-2']) {
      await orders.store.claim({ idempotency_key: key, username: 'cut', product_id: 5, quantity: 1 });
    }
    spans.reset();
    const pass = orders.orders.reconcile(-60_000, 60_000);
    await held.arrived(1); // the first retry waits on inventory-service...
    void orders.store.close(); // ...when the process closes its store
    held.open();
    await expect(pass).rejects.toThrow(/not open/);
    const reconcile = spans.getFinishedSpans().find((s) => s.name === 'order.reconcile');
    expect(reconcile?.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans.getFinishedSpans().filter((s) => s.name === 'order.retry')).toHaveLength(1);

    orders.probe.stop();
    await gate.close();
    await inventoryHttp.close();
    await inventory.close();
  });
});

describe('documentation', () => {
  it("every app.* span attribute set in a service's src is named in its README", () => {
    for (const service of ['order-service', 'inventory-service']) {
      const dir = join(__dirname, '..', '..', service);
      const src = readdirSync(join(dir, 'src'))
        .map((f) => readFileSync(join(dir, 'src', f), 'utf8'))
        .join('\n');
      const names = new Set([...src.matchAll(/'(app\.[a-z_.]+)'/g)].map((m) => m[1]!));
      expect(names.size, service).toBeGreaterThan(3);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      expect(
        [...names].filter((n) => !readme.includes(`\`${n}`)),
        service,
      ).toEqual([]);
    }
  });
});

describe('metrics', () => {
  let collected: ResourceMetrics;
  beforeAll(async () => {
    await post('/order-product', { username: 'm', product_id: 1, quantity: 100 }); // rejected: out of stock
    collected = (await reader.collect()).resourceMetrics;
  });
  const metric = (name: string) =>
    collected.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);

  it('has the stable HTTP server and client duration histograms, with http.route', () => {
    const server = metric('http.server.request.duration')!;
    expect(server.descriptor.unit).toBe('s');
    expect(server.dataPoints.map((p) => p.attributes['http.route'])).toEqual(
      expect.arrayContaining(['/order-product', '/reduce-stock']),
    );
    expect(metric('http.client.request.duration')).toBeDefined();
  });

  it('has the business metrics: orders placed, orders rejected by reason, stock per product', () => {
    const placed = metric('orders.placed')!;
    expect(placed.dataPoints.reduce((n, p) => n + (p.value as number), 0)).toBeGreaterThanOrEqual(1);
    const rejected = metric('orders.rejected')!;
    expect(rejected.dataPoints.map((p) => p.attributes.reason)).toEqual(
      expect.arrayContaining(['unknown_product', 'out_of_stock']),
    );
    const stock = metric('inventory.stock')!;
    expect(stock.dataPoints.find((p) => p.attributes['product.name'] === 'Smartphone')!.value).toBe(23);
  });
});
