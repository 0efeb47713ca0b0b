// Telemetry never breaks or slows the services: with a Collector that accepts connections and never answers
// (the worst case: no quick "connection refused"), orders are as fast as ever, memory stays bounded and a
// SIGTERM still exits promptly, because the flush on the way out is bounded.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb } from './net';
import { freePort, ServiceProcess } from './processes';

let blackHole: Server;
const sockets = new Set<Socket>();
let inventory: ServiceProcess;
let order: ServiceProcess;

beforeAll(async () => {
  blackHole = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  }).listen(0, '127.0.0.1');
  await once(blackHole, 'listening');
  const otlp = {
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(blackHole.address() as { port: number }).port}`,
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
  };
  inventory = new ServiceProcess('inventory-service', await freePort(), {
    ...otlp,
    DATABASE_PATH: tempDb('inventory'),
  });
  await inventory.start();
  order = new ServiceProcess('order-service', await freePort(), {
    ...otlp,
    DATABASE_PATH: tempDb('orders'),
    INVENTORY_SERVICE_URL: inventory.url,
  });
  await order.start();
}, 60_000);

afterAll(async () => {
  await order?.kill();
  await inventory?.kill();
  for (const s of sockets) s.destroy();
  blackHole.close();
});

describe('a Collector that never answers', () => {
  it('does not fail or slow orders', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      const res = await fetch(`${order.url}/order-product`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'outage', product_id: 4, quantity: 1 }),
        signal: AbortSignal.timeout(5_000),
      });
      latencies.push(performance.now() - t0);
      expect(res.status).toBe(201); // Headphones: 50 in stock
    }
    latencies.sort((a, b) => a - b);
    // Export attempts hang in the background; requests do not wait on them.
    expect(latencies[Math.floor(latencies.length * 0.95)]).toBeLessThan(1_000);
    expect(sockets.size).toBeGreaterThan(0); // the exporters did try
  });

  it('exits 0 on SIGTERM within the bounded flush', async () => {
    const t0 = Date.now();
    const exited = once(order.child!, 'exit');
    order.child!.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(12_000);
  }, 20_000);
});
