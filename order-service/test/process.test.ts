// Over the wire: both services as real processes, started exactly as in production (same entry point and
// --require flag), exporting OTLP/HTTP to a receiver in this test.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb } from './net';
import { attr, type KeyValue, OtlpReceiver } from '@ostack/test-support/otlp-receiver';
import { freePort, spawned, spawnService, waitHealthy } from './processes';

const receiver = new OtlpReceiver();

let orderUrl: string;
let order: ChildProcess;
let inventory: ChildProcess;
let placedTraceId: string;
const stdout: string[] = [];
const exitCodes: (number | null)[] = [];

beforeAll(async () => {
  const otlp = await receiver.start();
  const [orderPort, inventoryPort] = [await freePort(), await freePort()];
  const common = {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=wire-test',
    OTEL_METRIC_EXPORT_INTERVAL: '60000', // nothing would arrive before SIGTERM unless the shutdown flushes
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    OTEL_BLRP_SCHEDULE_DELAY: '60000',
  };
  inventory = spawnService('inventory-service', {
    ...common,
    PORT: String(inventoryPort),
    DATABASE_PATH: tempDb('inventory'),
    OTEL_SERVICE_NAME: 'inventory-service',
  });
  order = spawnService(
    'order-service',
    {
      ...common,
      PORT: String(orderPort),
      DATABASE_PATH: tempDb('orders'),
      OTEL_SERVICE_NAME: 'order-service',
      INVENTORY_SERVICE_URL: `http://127.0.0.1:${inventoryPort}`,
    },
    true, // its JSON logs, read below
  );
  order.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  orderUrl = `http://127.0.0.1:${orderPort}`;
  await Promise.all([waitHealthy(orderUrl), waitHealthy(`http://127.0.0.1:${inventoryPort}`)]);

  const res = await fetch(`${orderUrl}/order-product`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'wire', product_id: 3, quantity: 2 }),
  });
  expect(res.status).toBe(201);
  // A SIGTERM now: the pending spans, metrics and logs must be flushed on the way out.
  for (const child of [order, inventory]) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    exitCodes.push((await exited)[0] as number | null);
  }
}, 60_000);

afterAll(async () => {
  for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
  await receiver.stop();
});

describe('both services over OTLP/HTTP, as in production', () => {
  it('exit 0 on SIGTERM', () => {
    expect(exitCodes).toEqual([0, 0]);
  });

  it('traces of both services arrive with the resource attributes, in one trace', () => {
    const byService = new Map<string, { resource: KeyValue[]; spans: { traceId: string; name: string }[] }>();
    for (const rs of receiver.resources('traces')) {
      const name = String(attr(rs.resource.attributes, 'service.name'));
      const spans = (
        rs as unknown as { scopeSpans: { spans: { traceId: string; name: string }[] }[] }
      ).scopeSpans.flatMap((s) => s.spans);
      byService.set(name, {
        resource: rs.resource.attributes,
        spans: [...(byService.get(name)?.spans ?? []), ...spans],
      });
    }
    expect([...byService.keys()].sort()).toEqual(['inventory-service', 'order-service']);
    for (const { resource } of byService.values()) {
      expect(attr(resource, 'deployment.environment.name')).toBe('wire-test');
      expect(attr(resource, 'service.version')).toBe('0.1.0');
      expect(String(attr(resource, 'service.instance.id'))).toMatch(/^[0-9a-f-]{36}$/);
    }
    const orderSpan = byService.get('order-service')!.spans.find((s) => s.name === 'POST /order-product')!;
    placedTraceId = orderSpan.traceId;
    expect(
      byService
        .get('inventory-service')!
        .spans.some((s) => s.traceId === placedTraceId && s.name === 'POST /reduce-stock'),
    ).toBe(true);
  });

  it('metrics arrive: HTTP duration, business counters, stock gauge', () => {
    const names = new Set(
      receiver
        .resources('metrics')
        .flatMap((rm) =>
          (rm as unknown as { scopeMetrics: { metrics: { name: string }[] }[] }).scopeMetrics.flatMap((s) =>
            s.metrics.map((m) => m.name),
          ),
        ),
    );
    for (const n of [
      'http.server.request.duration',
      'http.client.request.duration',
      'orders.placed',
      'inventory.stock',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('logs arrive over OTLP with the trace id of the order, and are JSON lines on stdout too', () => {
    const records = receiver.resources('logs').flatMap((rl) =>
      (
        rl as unknown as {
          scopeLogs: { logRecords: { traceId?: string; body: { stringValue?: string }; severityText?: string }[] }[];
        }
      ).scopeLogs.flatMap((s) => s.logRecords),
    );
    const ofOrder = records.filter((r) => r.traceId === placedTraceId).map((r) => r.body.stringValue);
    expect(ofOrder).toEqual(
      expect.arrayContaining(['order confirmed', 'POST /order-product 201', 'POST /reduce-stock 200']),
    );
    const line = stdout
      .join('')
      .split('\n')
      .find((l) => l.includes('"order confirmed"'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 'info', trace_id: placedTraceId, service: 'order-service' });
  });
});
