// Soak: both services as real processes with telemetry on, under mixed traffic (listings, orders, bad input)
// for SOAK_MINUTES (default 10). They export OTLP/HTTP to a receiver in this script for the first half; then the
// receiver is stopped (the Collector is down) for the second half. It samples every 5 s and prints every
// SOAK_SAMPLE_SECONDS (15) each service's RSS (/proc/<pid>/status, cross-checked with `ps -o rss=`), heap (from
// --trace-gc on the service's stdout, so no debug endpoint: used after the latest GC, and live after the latest
// full GC) and open file descriptors (/proc/<pid>/fd); at the end a table and a verdict. Not part of `npm test`.
// Run: `npm run soak` with Node 24 (`SOAK_MINUTES=2 scripts/node24.sh npm run soak`). Linux only (/proc).
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitHealthy } from '@ostack/test-support/net';
import { OtlpReceiver } from '@ostack/test-support/otlp-receiver';
import { openFds, rssMiB } from './proc.ts';
import { ROOT, spawnService, stopProcess, type Workspace } from './services.ts';
import { mean, percentile } from './stats.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const PRINT_MS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 15) * 1000;
const TICK_MS = 5_000; // samples for the verdict: more of them than lines printed
const RPS = Number(process.env.SOAK_RPS ?? 25);
const WORKERS = 8;
const DEADLINE_MS = 10_000; // a request not answered within this counts as hung
const DURATION_MS = MINUTES * 60_000;
const WARMUP_MS = Math.min(60_000, DURATION_MS / 4); // JIT, caches and pools fill up first
// Flat: the last third (after warm-up) at most 15% above the first third. RSS is judged on the peaks of the
// thirds: V8 grows the old space until a full GC and then returns pages, so RSS saws (here ~140-250 MB, a period
// of minutes) and a mean of thirds mostly measures where the saw is; a leak lifts the peaks. The live heap after
// full GCs (JS objects retained) and the fd count are judged on means.
const TOLERANCE = 0.15;
const FD_SLACK = 2; // fd counts are small integers: a pooled socket more is not a leak
const HEAP_SLACK_MB = 5;

const dir = mkdtempSync(join(tmpdir(), 'soak-'));

interface Sample {
  t: number;
  otlp: 'up' | 'down';
  rssMB: number;
  psRssMB: number;
  heapMB: number;
  liveMB: number;
  fds: number;
}

/** One service as in production (`node --require @ostack/telemetry/register dist/main.js`), plus --trace-gc. */
class Service {
  child?: ChildProcess;
  heapMB = NaN; // heap used after the latest GC (often a scavenge: old-space garbage still counted)
  liveMB = NaN; // heap used after the latest full GC (mark-compact): what the program really retains
  gcs = 0;
  fullGcs = 0;
  errorLogs = 0;
  readonly stderr: string[] = [];
  readonly samples: Sample[] = [];
  readonly url: string;
  readonly name: Workspace;
  readonly port: number;
  private readonly env: Record<string, string>;

  // No parameter properties: Node runs this file by stripping types, which allows erasable syntax only.
  constructor(name: Workspace, port: number, env: Record<string, string>) {
    this.name = name;
    this.port = port;
    this.env = env;
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (!existsSync(join(ROOT, this.name, 'dist', 'main.js')))
      throw new Error(`${this.name} is not built: run npm run build`);
    this.child = spawnService(this.name, {
      bootstrap: true,
      nodeArgs: ['--trace-gc'],
      env: { HOST: '127.0.0.1', PORT: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // "[pid:0x..]  1234 ms: Mark-Compact 42.1 (50.0) -> 30.2 (48.0) MB, ...": the figure after "->" is the heap
    // used after that GC; after a Mark-Compact (or a major Mark-Sweep) it is the live heap.
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const gc = line.match(/ ms: ([A-Za-z -]+?)(?: \([a-z ]+\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/);
      if (gc) {
        this.heapMB = Number(gc[2]);
        this.gcs++;
        if (/Mark-Compact|^Mark-Sweep/.test(gc[1]!)) {
          this.liveMB = this.heapMB;
          this.fullGcs++;
        }
      } else if (line.includes('"level":"error"')) this.errorLogs++;
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    try {
      await waitHealthy(this.url, { timeoutMs: 30_000, child: this.child });
    } catch (err) {
      throw new Error(`${this.name} did not start (${(err as Error).message}):\n${this.stderr.join('\n')}`, {
        cause: err,
      });
    }
  }

  get alive(): boolean {
    return this.child?.exitCode === null && this.child.signalCode === null;
  }

  sample(t: number, otlp: Sample['otlp']): Sample {
    const pid = this.child!.pid!;
    const psKB = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    const s = {
      t,
      otlp,
      rssMB: rssMiB(pid),
      psRssMB: psKB / 1024,
      heapMB: this.heapMB,
      liveMB: this.liveMB,
      fds: openFds(pid),
    };
    this.samples.push(s);
    return s;
  }

  /** SIGTERM: drain, flush telemetry (bounded: the Collector is down by now), exit 0. */
  async stop(): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    const code = await stopProcess(this.child!, 30_000);
    return { code, ms: Date.now() - t0 };
  }
}

// ---- Traffic ----

const stats = { sent: 0, byStatus: new Map<string, number>(), latencies: [] as number[] };
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const JSON_TYPE = { 'content-type': 'application/json' };

interface Call {
  kind: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A POST of `body`, JSON unless `headers` say otherwise. */
const post = (kind: string, url: string, body: string, headers: Record<string, string> = JSON_TYPE): Call => ({
  kind,
  url,
  method: 'POST',
  headers,
  body,
});

function nextCall(order: string, inventory: string): Call {
  const r = Math.random();
  const valid = () =>
    JSON.stringify({
      username: pick(['ann', 'bob', 'chloé', '李']),
      product_id: 2 + Math.floor(Math.random() * 4),
      quantity: 1 + Math.floor(Math.random() * 2),
    });
  const placeOrder = `${order}/order-product`;
  if (r < 0.35) return { kind: 'list-products', url: `${order}/list-products` };
  if (r < 0.45)
    return {
      kind: 'list-orders',
      url: `${order}/list-orders?status=${pick(['confirmed', 'all', 'rejected'])}&limit=20`,
    };
  if (r < 0.65) return post('order', placeOrder, valid());
  if (r < 0.7) {
    // Keys drawn from 200: replays, now and then.
    const headers = { ...JSON_TYPE, 'idempotency-key': `soak-${Math.floor(Math.random() * 200)}` };
    return post('order-keyed', placeOrder, JSON.stringify({ username: 'key', product_id: 4, quantity: 1 }), headers);
  }
  if (r < 0.75)
    return post(
      'restock',
      `${inventory}/restock`,
      JSON.stringify({ product_id: 1 + Math.floor(Math.random() * 5), quantity: 15 }),
    );
  // Bad input: a quarter of the traffic.
  const bad: Call[] = [
    post('bad:malformed-json', placeOrder, '{"username": "x",'),
    post(
      'bad:quantity',
      placeOrder,
      JSON.stringify({ username: 'x', product_id: 2, quantity: pick([0, -1, 1e308, '0x10', 1001]) }),
    ),
    post('bad:unknown-product', placeOrder, JSON.stringify({ username: 'x', product_id: 99 })),
    post('bad:out-of-stock', placeOrder, JSON.stringify({ username: 'x', product_id: 1, quantity: 1000 })),
    post('bad:too-large', placeOrder, JSON.stringify({ username: 'x', product_id: 2, pad: 'x'.repeat(20_000) })),
    post('bad:lone-surrogate', placeOrder, '{"username": "a\\ud800", "product_id": 2}'),
    post('bad:content-type', placeOrder, '{}', { 'content-type': 'application/json; charset=latin1' }),
    { kind: 'bad:route', url: `${order}/orders/../../etc/passwd` },
    post('bad:inventory-body', `${inventory}/reduce-stock`, '[[[[[]]]]]'),
    // Hostile trace context with telemetry on: the propagators must shrug it off, and the order still succeeds.
    post('bad:trace-headers', placeOrder, valid(), {
      ...JSON_TYPE,
      traceparent: pick(['00-zz-yy-01', '00-' + '0'.repeat(32) + '-' + '0'.repeat(16) + '-01', 'garbage']),
      tracestate: 'a=' + 'b'.repeat(600),
      baggage: pick(['%%%', 'k=' + 'v'.repeat(9000), ';;;=,,']),
    }),
  ];
  return pick(bad);
}

async function send(call: Call): Promise<void> {
  const t0 = performance.now();
  let outcome: string;
  try {
    const res = await fetch(call.url, {
      method: call.method ?? 'GET',
      headers: call.headers,
      body: call.body,
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
    await res.arrayBuffer();
    outcome = String(res.status);
  } catch (err) {
    outcome = (err as Error).name === 'TimeoutError' ? 'deadline' : 'connection_error';
  }
  stats.sent++;
  stats.latencies.push(performance.now() - t0);
  const tally = (key: string) => stats.byStatus.set(key, (stats.byStatus.get(key) ?? 0) + 1);
  tally(outcome);
  // A failure also names the kind of request, to say where to look.
  if (outcome.startsWith('5') || outcome === 'deadline' || outcome === 'connection_error')
    tally(`${outcome} (${call.kind})`);
}

async function worker(order: string, inventory: string, until: number): Promise<void> {
  const interval = (1000 * WORKERS) / RPS;
  while (Date.now() < until) {
    const started = Date.now();
    await send(nextCall(order, inventory));
    await sleep(Math.max(0, interval * (0.5 + Math.random()) - (Date.now() - started)));
  }
}

// ---- Figures ----

const fmt = (n: number, width = 6, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-').padStart(width);

/** First and last third after warm-up: means and peaks, and whether the judged one stayed flat. */
function trend(samples: Sample[], field: 'rssMB' | 'fds' | 'heapMB' | 'liveMB', by: 'mean' | 'peak', slack = 0) {
  const after = samples.filter((s) => s.t >= WARMUP_MS && Number.isFinite(s[field]));
  const third = Math.max(1, Math.floor(after.length / 3));
  const [first, last] = [after.slice(0, third), after.slice(-third)].map((xs) => xs.map((s) => s[field]));
  const r = { mean: [mean(first!), mean(last!)], peak: [Math.max(...first!), Math.max(...last!)] };
  const [a, b] = r[by] as [number, number];
  return {
    ...r,
    change: (x: number[]) => x[1]! / x[0]! - 1,
    flat: after.length >= 3 ? b <= a * (1 + TOLERANCE) + slack : undefined,
  };
}

async function main(): Promise<void> {
  const [inventoryPort, orderPort] = [await freePort(), await freePort()];
  // The Collector's OTLP/HTTP receiver, reduced to answering 200 and counting what arrives.
  const receiver = new OtlpReceiver({ keepBodies: false });
  const otlpEndpoint = await receiver.start();
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=soak',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
  };
  const inventory = new Service('inventory-service', inventoryPort, {
    ...otel,
    DATABASE_PATH: join(dir, 'inventory.db'),
  });
  const order = new Service('order-service', orderPort, {
    ...otel,
    DATABASE_PATH: join(dir, 'orders.db'),
    INVENTORY_SERVICE_URL: inventory.url,
    RECONCILE_INTERVAL_MS: '5000',
  });
  await inventory.start();
  await order.start();
  const services = [order, inventory];
  console.log(
    `soak: ${MINUTES} min, ~${RPS} req/s from ${WORKERS} workers, sampled every ${TICK_MS / 1000} s, ` +
      `printed every ${PRINT_MS / 1000} s, warm-up ${WARMUP_MS / 1000} s`,
  );
  if (MINUTES < 6)
    console.log('  (a short run: RSS saws with GC cycles minutes long; judge memory on SOAK_MINUTES=10 or more)');
  console.log(
    `  order-service pid ${order.child!.pid}, inventory-service pid ${inventory.child!.pid}, ` +
      `OTLP receiver ${otlpEndpoint} (stopped at half time), data in ${dir}`,
  );
  const serviceColumns = (s: (typeof services)[number]) =>
    `${s.name.padEnd(17)} ${'rss MB'.padStart(6)} ${'heap'.padStart(6)} ${'live'.padStart(6)} ${'fds'.padStart(4)}`;
  console.log(
    `${'t'.padStart(5)} ${'otlp'.padEnd(4)} | ${services.map(serviceColumns).join(' | ')} | ` +
      `${'req'.padStart(6)} ${'5xx'.padStart(4)}`,
  );

  const t0 = Date.now();
  const end = t0 + DURATION_MS;
  const traffic = Array.from({ length: WORKERS }, () => worker(order.url, inventory.url, end));
  let otlp: Sample['otlp'] = 'up';
  let otlpUpTotals = '';
  const stopReceiver = async () => {
    await receiver.stop();
    otlp = 'down';
    const { traces, metrics, logs } = receiver.requests;
    otlpUpTotals = `${traces} trace, ${metrics} metric, ${logs} log exports (${(receiver.bytes / 1e6).toFixed(1)} MB)`;
    console.log(`${fmt((Date.now() - t0) / 1000, 4, 0)}s OTLP receiver stopped (Collector down) after ${otlpUpTotals}`);
  };
  const halfTime = setTimeout(() => void stopReceiver(), DURATION_MS / 2);

  for (let next = t0 + TICK_MS; next <= end + 1_000; next += TICK_MS) {
    await sleep(Math.max(0, next - Date.now()));
    const t = Date.now() - t0;
    const row = services.map((s) => {
      if (!s.alive) return `${s.name.padEnd(17)} ${'DEAD'.padStart(25)}`;
      const x = s.sample(t, otlp);
      return `${s.name.padEnd(17)} ${fmt(x.rssMB)} ${fmt(x.heapMB)} ${fmt(x.liveMB)} ${fmt(x.fds, 4, 0)}`;
    });
    if ((next - t0) % PRINT_MS !== 0) continue;
    const fivexx = [...stats.byStatus].filter(([k]) => /^5\d\d$/.test(k)).reduce((a, [, v]) => a + v, 0);
    console.log(
      `${fmt(t / 1000, 4, 0)}s ${otlp.padEnd(4)} | ${row.join(' | ')} | ${fmt(stats.sent, 6, 0)} ${fmt(fivexx, 4, 0)}`,
    );
  }
  await Promise.all(traffic);
  clearTimeout(halfTime);
  const alive = services.map((s) => s.alive);
  const stops = await Promise.all(services.map((s) => (s.alive ? s.stop() : Promise.resolve({ code: null, ms: NaN }))));

  // ---- Table and verdict ----
  console.log(
    `\nper service, ${services[0]!.samples.length} samples, after warm-up: first third vs last third ` +
      '(the last third is with the Collector down)',
  );
  const thirdsHeader = `${'first'.padStart(7)} ${'last'.padStart(7)} ${'change'.padStart(7)}`;
  console.log(
    `${'service'.padEnd(18)} ${'figure'.padEnd(9)} ${'mean:'.padEnd(6)} ${thirdsHeader}  ` +
      `${'peak:'.padEnd(6)} ${thirdsHeader}  verdict`,
  );
  const checks: [string, boolean][] = [];
  services.forEach((s, i) => {
    const figures = [
      ['rssMB', 'rss MB', 'peak', 0, true],
      ['liveMB', 'live MB', 'mean', HEAP_SLACK_MB, true],
      ['fds', 'fds', 'mean', FD_SLACK, true],
      ['heapMB', 'heap MB', 'mean', 0, false],
    ] as const;
    for (const [field, label, by, slack, judged] of figures) {
      const tr = trend(s.samples, field, by, slack);
      const verdict = !judged
        ? '(informational)'
        : tr.flat === undefined
          ? 'n/a (too few samples)'
          : `${tr.flat ? 'flat' : 'GROWING'} (by ${by})`;
      const thirds = (v: number[]) => `${fmt(v[0]!, 7)} ${fmt(v[1]!, 7)} ${fmt(tr.change(v) * 100, 6)}%`;
      console.log(
        `${s.name.padEnd(18)} ${label.padEnd(9)} ${''.padEnd(6)} ${thirds(tr.mean)}  ` +
          `${''.padEnd(6)} ${thirds(tr.peak)}  ${verdict}`,
      );
      if (judged && tr.flat !== undefined) {
        const limit = `first third + ${TOLERANCE * 100}%${slack ? ` + ${slack}` : ''}`;
        checks.push([`${s.name} ${label} flat (${by} of the last third <= ${limit})`, tr.flat]);
      }
    }
    const psGap = Math.max(...s.samples.map((x) => Math.abs(x.psRssMB / x.rssMB - 1)));
    console.log(
      `${''.padEnd(18)} rss from /proc and from ps agree within ${(psGap * 100).toFixed(1)}%; ` +
        `${s.gcs} GCs traced (${s.fullGcs} full); ${s.errorLogs} error log lines; ` +
        `stopped in ${stops[i]!.ms} ms, exit ${stops[i]!.code}`,
    );
    checks.push([`${s.name} alive until the end`, alive[i]!]);
    checks.push([
      `${s.name} exits 0 on SIGTERM with the Collector down, within 15 s`,
      stops[i]!.code === 0 && stops[i]!.ms < 15_000,
    ]);
  });
  const by = [...stats.byStatus]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const ms = (v: number) => `${fmt(v, 0)} ms`;
  console.log(
    `\nrequests: ${stats.sent} (${(stats.sent / (DURATION_MS / 1000)).toFixed(1)}/s), ` +
      `latency p50 ${ms(percentile(stats.latencies, 0.5))}, p99 ${ms(percentile(stats.latencies, 0.99))}, ` +
      `max ${ms(Math.max(...stats.latencies))}`,
  );
  console.log(`  by status: ${by}`);
  console.log(`  OTLP receiver (first half): ${otlpUpTotals}`);
  const failed = [...stats.byStatus]
    .filter(([k]) => /^(5\d\d|deadline|connection_error)$/.test(k))
    .reduce((a, [, v]) => a + v, 0);
  checks.push(['no 5xx, no hung request, no connection error', failed === 0]);
  checks.push([
    'telemetry arrived while the receiver was up',
    receiver.requests.traces > 0 && receiver.requests.metrics > 0 && receiver.requests.logs > 0,
  ]);
  console.log('\nverdict:');
  for (const [what, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
  const pass = checks.every(([, ok]) => ok);
  console.log(pass ? 'SOAK PASSED' : 'SOAK FAILED');
  process.exitCode = pass ? 0 : 1;
}

main().catch((err: Error) => {
  console.error(err.stack);
  process.exit(2);
});
