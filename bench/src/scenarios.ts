// What the bench measures: the endpoints, the configurations of the services, and one measurement (a window of
// load with the CPU the kernel charged to both services in it).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Collector } from './collector.ts';
import { autocannon } from './load.ts';
import type { Options } from './options.ts';
import { cpuMs } from './proc.ts';
import { type BenchConfig, ROOT, type ServicePair } from './services.ts';
import type { Measurement } from './stats.ts';

export interface Endpoint {
  id: string;
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** Product ordered; restocked before every measurement so that stock never runs out. */
  product?: number;
  /** The fixed rate (req/s): below what the slowest configuration sustains on a busy 2-core machine. */
  rate: number;
  /** The service the load goes to (default order-service, which calls inventory-service). */
  service?: 'inventory';
}

export const endpoints = ({ rates }: Options): Endpoint[] => [
  { id: 'list', label: 'GET /list-products', method: 'GET', path: '/list-products', rate: rates.list },
  {
    id: 'order',
    label: 'POST /order-product',
    method: 'POST',
    path: '/order-product',
    body: JSON.stringify({ username: 'bench', product_id: 4, quantity: 1 }),
    product: 4,
    rate: rates.order,
  },
  // Not a default: one service alone (a server span, a DB span, a log line, one histogram point per request),
  // for taking the cost apart with BENCH_VARIANTS (docs/performance.md).
  {
    id: 'inventory',
    label: 'GET /list-products on inventory-service alone',
    method: 'GET',
    path: '/list-products',
    rate: rates.inventory,
    service: 'inventory',
  },
];

export function configs(options: Options, collector: Collector | undefined, deadEndpoint: string): BenchConfig[] {
  const all: BenchConfig[] = [
    { id: 'none', label: 'no bootstrap', bootstrap: false, env: {} },
    { id: 'disabled', label: 'OTEL_SDK_DISABLED=true', bootstrap: true, env: { OTEL_SDK_DISABLED: 'true' } },
    ...(collector
      ? [{ id: 'on', label: 'telemetry on', bootstrap: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } }]
      : []),
    { id: 'down', label: 'on, Collector down', bootstrap: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: deadEndpoint } },
  ];
  // Experiments: telemetry on (Collector up) with other settings or another build, in the same rounds as the rest.
  const variants = JSON.parse(options.variants ?? '{}') as Record<
    string,
    { env?: Record<string, string>; root?: string; label?: string }
  >;
  const extra = Object.entries(variants).map(([id, v]) => ({
    id,
    label: v.label ?? id,
    bootstrap: true,
    root: v.root,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector?.endpoint ?? deadEndpoint, ...v.env },
  }));
  return [...all.filter((c) => options.configIds.includes(c.id)), ...extra];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function restock(pair: ServicePair, product: number, atLeast: number): Promise<void> {
  const res = await fetch(`${pair.inventoryUrl}/list-products`);
  const { products } = (await res.json()) as { products: { id: number; stock: number }[] };
  let stock = products.find((p) => p.id === product)?.stock ?? 0;
  while (stock < atLeast) {
    const r = await fetch(`${pair.inventoryUrl}/restock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: product, quantity: 10_000 }),
    });
    if (!r.ok) throw new Error(`restock answered ${r.status}`);
    stock = ((await r.json()) as { stock: number }).stock;
  }
}

/** Measures one endpoint of one pair of services; `mostRequests` (the most of any window so far) sizes restocks. */
export class Measurer {
  private mostRequests = 0;
  private readonly options: Options;
  private readonly collector?: Collector;

  constructor(options: Options, collector?: Collector) {
    this.options = options;
    this.collector = collector;
  }

  /** A window of `seconds` of load, at saturation or at `rate` req/s. */
  async measure(pair: ServicePair, ep: Endpoint, seconds: number, round: number, rate?: number): Promise<Measurement> {
    const { collector } = this;
    if (ep.product) {
      await restock(pair, ep.product, Math.max(20_000, 3 * this.mostRequests + (rate ?? 0) * seconds));
    }
    await sleep(this.options.settleMs); // the restock's and the previous configuration's work settle outside
    const pids = [pair.pids.order, pair.pids.inventory];
    const cpu0 = pids.map(cpuMs);
    const col0 = collector ? cpuMs(collector.pid) : 0;
    const t0 = process.hrtime.bigint();
    const from = Number(t0 / 1000n);
    const result = await autocannon({
      url: `${ep.service === 'inventory' ? pair.inventoryUrl : pair.orderUrl}${ep.path}`,
      method: ep.method,
      body: ep.body,
      headers: ep.body ? { 'content-type': 'application/json' } : {},
      connections: this.options.connections,
      duration: seconds,
      ...(rate ? { overallRate: rate } : {}),
    });
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const to = Number(process.hrtime.bigint() / 1000n);
    const cpu1 = pids.map(cpuMs);
    pair.windows.push({
      from,
      to,
      requests: result.requests.total,
      cpuMs: { order: cpu1[0]! - cpu0[0]!, inventory: cpu1[1]! - cpu0[1]! },
    });
    const col1 = collector ? cpuMs(collector.pid) : 0;
    this.mostRequests = Math.max(this.mostRequests, result.requests.total);
    return {
      round,
      requests: result.requests.total,
      seconds: elapsed,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuMs: cpu1[0]! - cpu0[0]! + (cpu1[1]! - cpu0[1]!),
      collectorCpuMs: col1 - col0,
      failures: result.non2xx + result.errors + result.timeouts,
    };
  }
}

/** OTEL_SDK_DISABLED=true must mean no hooks: no SDK module loaded, http and express not patched. */
export function hooksReport(env: Record<string, string>): { sdkModules: number; patched: string[] } {
  const probe = `
    require('express'); require('winston'); const http = require('node:http');
    const sdkModule = /@opentelemetry[\\\\/](sdk-|instrumentation|auto-instrumentations|exporter-)/;
    const sdk = Object.keys(require.cache).filter((k) => sdkModule.test(k));
    const wrapped = (f) => typeof f === 'function' && (f.__wrapped === true || typeof f.__original === 'function');
    const patched = [
      ['http.request', http.request], ['http.get', http.get], ['http.Server.emit', http.Server.prototype.emit],
      ['express.Router.use', require('express').Router.prototype?.use],
    ].filter(([, f]) => wrapped(f)).map(([n]) => n);
    console.log(JSON.stringify({ sdkModules: sdk.length, patched }));
    process.exit(0);`;
  const out = execFileSync(process.execPath, ['--require', '@ostack/telemetry/register', '-e', probe], {
    cwd: join(ROOT, 'order-service'),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      ...env,
    },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { sdkModules: number; patched: string[] };
}
