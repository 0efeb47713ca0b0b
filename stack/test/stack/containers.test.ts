// What only containers can show, against the copy `npm run test:compose` starts (never a user's stack): users, read-only roots and
// loopback-only ports as the file says; state that survives `down`/`up`; the restart policy after a kill; memory
// under load with the Collector gone; the fault toggles as errors and latency in Prometheus.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { dotenv } from '../helpers/env';
import { repoPath } from '../helpers/repo';
import { eventually, jaegerTrace, promQuery, selector } from './backends';
import { stack } from './target';
import { send, type Sent } from './traffic';

const { urls } = stack;
const docker = (...args: string[]) =>
  execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

interface Inspect {
  Name: string;
  RestartCount: number;
  State: { Status: string; OOMKilled: boolean; ExitCode: number; Health?: { Status: string } };
  Config: { User: string; Labels: Record<string, string> };
  HostConfig: {
    ReadonlyRootfs: boolean;
    Memory: number;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null>;
  };
}
const containerOf = (service: string) => stack.compose(['ps', '-aq', service]).trim();
const inspect = (service: string): Inspect => JSON.parse(docker('inspect', containerOf(service)))[0] as Inspect;
/** Memory in MiB now, from the kernel's cgroup accounting as `docker stats` reports it. */
const memoryMiB = (service: string): number => {
  const used = docker('stats', '--no-stream', '--format', '{{.MemUsage}}', containerOf(service)).split('/')[0]!.trim();
  const m = /^([\d.]+)\s*([KMG]i?B)$/.exec(used)!;
  return (
    Number(m[1]) *
    ({ KiB: 1 / 1024, MiB: 1, GiB: 1024, KB: 1 / 1000, MB: 1, GB: 1000 } as Record<string, number>)[m[2]!]!
  );
};
const heapAfterGc = readFileSync(repoPath('stack/test/stack/heap-after-gc.mjs'));
/** The JS heap a Node service's PID 1 holds right after a full GC, in MiB (heap-after-gc.mjs, run in its container). */
const heapAfterGcMiB = (service: string): number =>
  Number(
    execFileSync('docker', ['exec', '-i', containerOf(service), 'node', '--input-type=module', '-'], {
      encoding: 'utf8',
      input: heapAfterGc,
    }).trim(),
  );
const order = (username: string, productId = 3) =>
  send(urls.order, 'POST', '/order-product', { username, product_id: productId, quantity: 1 });
/** Enough stock of product 3 for the orders of one test. */
const restock = async (quantity: number) => {
  const res = await send(urls.inventory, 'POST', '/restock', { product_id: 3, quantity });
  expect(res.status).toBe(200);
};
const sum = async (query: string) =>
  (await promQuery(urls.prometheus, query)).reduce((n, s) => n + Number(s.value[1]), 0);
const figures = (line: string) => appendFileSync(repoPath('.stack-run', 'figures.txt'), `${line}\n`);

describe.runIf(stack.kind === 'own')('containers as docker-compose.yml says', () => {
  const { compose } = loadCompose({ ...dotenv(), ...(process.env as Record<string, string>) });
  const running = Object.entries(compose.services).filter(
    ([name, s]) => !s.profiles && !(name === 'grafana' && stack.standins) && name !== 'data-init',
  );

  it('data-init handed data_volumes/ over and exited 0', () => {
    const init = inspect('data-init');
    expect(init.State.Status).toBe('exited');
    expect(init.State.ExitCode).toBe(0);
  });

  it.each(running.map(([name]) => [name]))(
    '%s: the user, read-only root and loopback-only ports of the file',
    (name) => {
      const file = compose.services[name]!;
      const c = inspect(name);
      expect(c.State.Status).toBe('running');
      // No `user:` in the file: the image's own (the Collector's 10001).
      if (file.user) expect(c.Config.User).toBe(file.user);
      else expect(c.Config.User).toMatch(/^10001/);
      expect(c.HostConfig.ReadonlyRootfs).toBe(file.read_only === true);
      const bindings = Object.values(c.HostConfig.PortBindings ?? {}).flatMap((b) => b ?? []);
      expect(bindings.map((b) => b.HostPort).sort()).toEqual((file.ports ?? []).map((p) => p.split(':')[1]!).sort());
      for (const b of bindings) expect(b.HostIp, `${name} ${b.HostPort}`).toBe('127.0.0.1');
    },
  );

  // On CI's offline Docker (.ci/offline-docker/provision.sh): the images it built, not others of the same name.
  it.runIf(process.env.OSTACK_LOCAL_IMAGES === '1')('the backend images are the local builds, labelled as such', () => {
    for (const name of ['otel-collector', 'jaeger', 'prometheus']) {
      expect(inspect(name).Config.Labels['org.opencontainers.image.vendor'], name).toBe('ostack-local-build');
    }
  });
});

describe.runIf(stack.kind === 'own')('down, then up', () => {
  it('keeps orders, stock, traces in Jaeger and metrics in Prometheus', async () => {
    await restock(10);
    const placed = await order('persist');
    expect(placed.status).toBe(201);
    await eventually('the trace in Jaeger', () => jaegerTrace(urls.jaeger, placed.traceId));
    const before = await eventually('the order counted in Prometheus', async () => {
      const v = await sum('orders_placed_total');
      return v > 0 ? v : undefined;
    });
    const at = Date.now() / 1000;
    const orders = (await send(urls.order, 'GET', '/list-orders')).body;
    const products = (await send(urls.order, 'GET', '/list-products')).body;

    stack.compose(['down']);
    stack.compose(['up', '-d', '--wait', '--wait-timeout', '180']);

    // The first request may meet a pooled connection to the old container.
    await eventually('order-service after up', () => send(urls.order, 'GET', '/health'), 30_000);
    expect((await send(urls.order, 'GET', '/list-orders')).body).toEqual(orders);
    expect((await send(urls.order, 'GET', '/list-products')).body).toEqual(products);
    expect(await eventually('the trace after up', () => jaegerTrace(urls.jaeger, placed.traceId))).toBeTruthy();
    // The samples scraped before `down`, read at that time.
    const params = new URLSearchParams({ query: 'sum(orders_placed_total)', time: String(at) });
    const res = await fetch(`${urls.prometheus}/api/v1/query?${params.toString()}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    expect(Number(body.data.result[0]?.value[1])).toBeGreaterThanOrEqual(before);
  }, 300_000);
});

describe.runIf(stack.kind === 'own')('the Collector crashing under traffic', () => {
  // Its process is SIGKILLed as a crash or the OOM killer would: `docker kill` counts as a manual stop, after
  // which Docker applies no restart policy.
  it('comes back by its restart policy; no request fails; telemetry resumes', async () => {
    await restock(1000);
    const restarts = inspect('otel-collector').RestartCount;
    const sent: Sent[] = [];
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        sent.push(await order('crashed'));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 2_000));
    process.kill(Number(docker('inspect', '-f', '{{.State.Pid}}', containerOf('otel-collector'))), 'SIGKILL');
    await eventually(
      'the Collector restarted',
      () => {
        const c = inspect('otel-collector');
        return Promise.resolve(c.State.Status === 'running' && c.RestartCount > restarts ? true : undefined);
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    stop = true;
    await traffic;
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.filter((s) => s.status !== 201).map((s) => s.status)).toEqual([]);
    const after = await order('after-kill');
    await eventually('a trace sent after the restart', () => jaegerTrace(urls.jaeger, after.traceId), 120_000);
    await eventually('logs sent after the restart', async () =>
      (await stack.logsOfTrace(after.traceId)).length > 0 ? true : undefined,
    );
  }, 300_000);
});

describe.runIf(stack.kind === 'own')('the Collector stopped for minutes under the load generator', () => {
  const services = ['order-service', 'inventory-service', 'load-generator'] as const;
  const minutes = Number(process.env.OSTACK_OUTAGE_MINUTES ?? 2);

  afterAll(async () => {
    await stack.start('otel-collector');
    stack.compose(['--profile', 'load', 'stop', 'load-generator']);
  }, 180_000);

  it('no service is OOM-killed or restarted, the heap it holds stays flat, orders keep succeeding', async () => {
    stack.compose(['--profile', 'load', 'up', '-d', '--wait', 'load-generator'], { LOAD_RPS: '20' });
    await new Promise((r) => setTimeout(r, 20_000));
    const loaded = Object.fromEntries(services.map((s) => [s, memoryMiB(s)]));
    for (const s of ['otel-collector', 'jaeger', 'prometheus', 'loki'])
      figures(`  memory under load (20 req/s): ${s} ${memoryMiB(s).toFixed(0)} MiB`);
    const restarts = Object.fromEntries(services.map((s) => [s, inspect(s).RestartCount]));
    const lastConfirmed = async () =>
      ((await send(urls.order, 'GET', '/list-orders?status=confirmed&limit=1')).body.orders[0]?.id ?? 0) as number;
    const confirmedBefore = await lastConfirmed();
    const heapBefore = Object.fromEntries(services.map((s) => [s, heapAfterGcMiB(s)]));
    await stack.stop('otel-collector');
    const peaks: Record<string, number> = Object.fromEntries(services.map((s) => [s, 0]));
    const end = Date.now() + minutes * 60_000;
    while (Date.now() < end) {
      for (const s of services) peaks[s] = Math.max(peaks[s]!, memoryMiB(s));
      await new Promise((r) => setTimeout(r, 10_000));
    }
    const confirmedAfter = await lastConfirmed();
    for (const s of services) {
      const c = inspect(s);
      expect(c.State.OOMKilled, s).toBe(false);
      expect(c.RestartCount, s).toBe(restarts[s]);
      // Unsent telemetry is bounded (batch queues, five export attempts), so what the heap holds after a GC stays
      // where it was; the container's memory, garbage and native buffers included, swings by tens of MiB.
      const heapAfter = heapAfterGcMiB(s);
      expect(heapAfter, s).toBeLessThanOrEqual(heapBefore[s]! * 1.25);
      // HostConfig.Memory: compose's deploy.resources.limits.memory, in bytes
      expect(peaks[s], s).toBeLessThan(c.HostConfig.Memory / 2 ** 20 / 2);
      const outage = `${peaks[s]!.toFixed(0)} MiB peak after ${minutes} min without Collector`;
      const heap = `heap after GC ${heapBefore[s]!.toFixed(0)} -> ${heapAfter.toFixed(0)} MiB`;
      figures(`  memory under load (20 req/s): ${s} ${loaded[s]!.toFixed(0)} MiB, ${outage}, ${heap}`);
    }
    // ~20 req/s, a good share of them orders: order ids confirmed during the outage, far more than a handful.
    expect(confirmedAfter - confirmedBefore).toBeGreaterThan(minutes * 60);
  }, 900_000);
});

describe.runIf(stack.kind === 'own')('fault toggles', () => {
  afterAll(() => stack.recreate('inventory-service', {}), 180_000);

  it('INVENTORY_FAULT_ERROR_RATE shows up as 5xx in Prometheus, INVENTORY_FAULT_LATENCY_MS as latency', async () => {
    await restock(20);
    await stack.recreate('inventory-service', { INVENTORY_FAULT_ERROR_RATE: '1', INVENTORY_FAULT_LATENCY_MS: '300' });
    const sent: Sent[] = [];
    for (let i = 0; i < 10; i++) sent.push(await order('faulty'));
    expect(new Set(sent.map((s) => s.status))).toEqual(new Set([503]));
    const requests = (service: string, route: string, status?: string) =>
      selector('http_server_request_duration_seconds_count', {
        service_name: service,
        http_route: route,
        ...(status ? { http_response_status_code: status } : {}),
      });
    await eventually('inventory 500s and order 503s in Prometheus', async () =>
      (await sum(requests('inventory-service', '/reduce-stock', '500'))) >= 10 &&
      (await sum(requests('order-service', '/order-product', '503'))) >= 10
        ? true
        : undefined,
    );
    // A 503 leaves its order pending: counted as left pending, never as rejected.
    const leftPending = selector('orders_left_pending_total', { reason: 'inventory_unavailable' });
    await eventually('the orders left pending in Prometheus', async () =>
      (await sum(leftPending)) >= 10 ? true : undefined,
    );
    expect(await sum(selector('orders_rejected_total', { reason: 'inventory_unavailable' }))).toBe(0);
    const stock = { service_name: 'inventory-service', http_route: '/reduce-stock' };
    const seconds = selector('http_server_request_duration_seconds_sum', stock);
    const count = selector('http_server_request_duration_seconds_count', stock);
    const slow = await eventually('the added latency in the histogram', async () => {
      const mean = await sum(`sum(increase(${seconds}[2m])) / sum(increase(${count}[2m]))`);
      return mean > 0.2 ? mean : undefined;
    });
    expect(slow).toBeGreaterThan(0.2);
  }, 300_000);
});
