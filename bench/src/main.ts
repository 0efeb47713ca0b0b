// npm run bench: what telemetry costs. Both services as real processes, the same build, in several
// configurations measured alternately (ABBA rounds after a warm-up) so that machine drift cancels out.
// CPU per request comes from the kernel's accounting of both service processes (/proc/<pid>/stat).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Collector, startCollector } from './collector';
import { autocannon } from './load';
import { cpuModel, cpuMs, peakRssMiB } from './proc';
import { type Measurement, roundRatios, summarize, type Summary } from './stats';
import { type BenchConfig, freePort, ROOT, type ServicePair, startPair } from './services';

function intEnv(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
const listEnv = (name: string, fallback: string) =>
  (process.env[name] || fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const SECONDS = intEnv('BENCH_SECONDS', 5);
const ROUNDS = intEnv('BENCH_ROUNDS', 4);
const WARMUP_SECONDS = intEnv('BENCH_WARMUP_SECONDS', 10);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 10);
/** Pause before each measurement: what the previous configuration still does (batch exports, the Collector's
 * retries towards absent backends) must not be charged to the next one. */
const SETTLE_MS = intEnv('BENCH_SETTLE_MS', 1000);
/** Each measurement at saturation is followed by one at a fixed rate, the same for every configuration
 * (BENCH_RATE_LIST, BENCH_RATE_ORDER req/s; BENCH_FIXED_RATE=0 leaves it out). */
const FIXED_RATE = process.env.BENCH_FIXED_RATE !== '0';
const CONFIG_IDS = listEnv('BENCH_CONFIGS', 'none,disabled,on,down');
const ENDPOINT_IDS = listEnv('BENCH_ENDPOINTS', 'list,order');
/** Where the results table goes (between the bench markers); "-" for nowhere. */
const DOC = process.env.BENCH_DOC ?? join(ROOT, 'docs', 'performance.md');
/** A directory: the services of BENCH_CPU_PROF_CONFIGS (default: on) write V8 CPU profiles there. */
const CPU_PROF = process.env.BENCH_CPU_PROF;
const CPU_PROF_CONFIGS = listEnv('BENCH_CPU_PROF_CONFIGS', 'on');

interface Endpoint {
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

const ENDPOINTS: Endpoint[] = [
  {
    id: 'list',
    label: 'GET /list-products',
    method: 'GET',
    path: '/list-products',
    rate: intEnv('BENCH_RATE_LIST', 100),
  },
  {
    id: 'order',
    label: 'POST /order-product',
    method: 'POST',
    path: '/order-product',
    body: JSON.stringify({ username: 'bench', product_id: 4, quantity: 1 }),
    product: 4,
    rate: intEnv('BENCH_RATE_ORDER', 40),
  },
  // Not a default: one service alone (a server span, a DB span, a log line, one histogram point per request),
  // for taking the cost apart with BENCH_VARIANTS (docs/performance.md).
  {
    id: 'inventory',
    label: 'GET /list-products on inventory-service alone',
    method: 'GET',
    path: '/list-products',
    rate: intEnv('BENCH_RATE_INVENTORY', 1000),
    service: 'inventory',
  },
];

// The goals of the issue: telemetry on vs no bootstrap, per endpoint (the single-service one has none).
const GOAL: Record<string, number | undefined> = { list: 0.7, order: 0.85 };
const P99_GOAL = 1.3;
const DISABLED_GOAL = 0.97;

function configs(collector: Collector | undefined, deadEndpoint: string): BenchConfig[] {
  const all: BenchConfig[] = [
    { id: 'none', label: 'no bootstrap', bootstrap: false, env: {} },
    { id: 'disabled', label: 'OTEL_SDK_DISABLED=true', bootstrap: true, env: { OTEL_SDK_DISABLED: 'true' } },
    ...(collector
      ? [{ id: 'on', label: 'telemetry on', bootstrap: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } }]
      : []),
    { id: 'down', label: 'on, Collector down', bootstrap: true, env: { OTEL_EXPORTER_OTLP_ENDPOINT: deadEndpoint } },
  ];
  // Experiments: BENCH_VARIANTS='{"id": {"env": {"OTEL_...": "..."}, "root": "/other/checkout"}}', telemetry on
  // (Collector up) with other settings or another build, measured in the same rounds as the rest.
  const variants = JSON.parse(process.env.BENCH_VARIANTS || '{}') as Record<
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
  return [...all.filter((c) => CONFIG_IDS.includes(c.id)), ...extra];
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

let mostRequests = 0;

async function measure(
  pair: ServicePair,
  ep: Endpoint,
  seconds: number,
  round: number,
  collector?: Collector,
  rate?: number,
): Promise<Measurement> {
  if (ep.product) await restock(pair, ep.product, Math.max(20_000, 3 * mostRequests + (rate ?? 0) * seconds));
  await sleep(SETTLE_MS); // the restock's and the previous configuration's work settle outside the window
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
    connections: CONNECTIONS,
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
  mostRequests = Math.max(mostRequests, result.requests.total);
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

/** OTEL_SDK_DISABLED=true must mean no hooks: no SDK module loaded, http and express not patched. */
function hooksReport(env: Record<string, string>): { sdkModules: number; patched: string[] } {
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

const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

interface Row {
  config: BenchConfig;
  summary: Summary;
  rounds: Measurement[];
}

const COLUMNS = [
  'configuration',
  'req/s',
  '×none',
  'p50 ms',
  'p99 ms',
  'p99 ×none',
  'CPU ms/req',
  'CPU none/cfg',
  'rounds: median (min–max)',
  'peak RSS MiB order+inv',
  'Collector CPU ms/req',
  'failed',
];
const tableRow = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

function table(rows: Row[]): string[] {
  const base = rows.find((r) => r.config.id === 'none');
  const lines = [tableRow(COLUMNS), tableRow(COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')))];
  for (const { config, summary: s, rounds } of rows) {
    const b = base?.summary;
    const r = base ? roundRatios(rounds, base.rounds) : undefined;
    lines.push(
      tableRow([
        config.label,
        f(s.rps),
        b ? f(s.rps / b.rps, 2) : '-',
        f(s.p50, 1),
        f(s.p99, 1),
        b ? f(s.p99 / b.p99, 2) : '-',
        f(s.cpuMsPerRequest, 3),
        b ? f(b.cpuMsPerRequest / s.cpuMsPerRequest, 2) : '-',
        r ? `${f(r.median, 2)} (${f(r.min, 2)}–${f(r.max, 2)})` : '-',
        s.peakRssMiB ? `${f(s.peakRssMiB.order)}+${f(s.peakRssMiB.inventory)}` : '-',
        ['none', 'disabled', 'down'].includes(config.id) ? '-' : f(s.collectorCpuMsPerRequest, 3),
        s.failures,
      ]),
    );
  }
  return lines;
}

function goals(ep: Endpoint, rows: Row[], fixedRate: boolean): string[] {
  const get = (id: string) => rows.find((r) => r.config.id === id)?.summary;
  const none = get('none');
  if (!none) return [];
  const out: string[] = [];
  const check = (ok: boolean, text: string) => out.push(`- ${ok ? 'met' : '**not met**'}: ${text}`);
  const on = get('on');
  const goal = GOAL[ep.id];
  if (on && goal !== undefined) {
    const cpu = none.cpuMsPerRequest / on.cpuMsPerRequest;
    const rps = on.rps / none.rps;
    const p99 = on.p99 / none.p99;
    check(cpu >= goal, `telemetry on, CPU per request ${f(cpu, 2)} of no bootstrap (goal ≥ ${goal})`);
    if (!fixedRate) check(rps >= goal, `telemetry on, throughput ${f(rps, 2)} of no bootstrap (goal ≥ ${goal})`);
    check(p99 <= P99_GOAL, `telemetry on, p99 ${f(p99, 2)}× no bootstrap (goal ≤ ${P99_GOAL})`);
  }
  const disabled = get('disabled');
  if (disabled) {
    const cpu = none.cpuMsPerRequest / disabled.cpuMsPerRequest;
    const rps = disabled.rps / none.rps;
    const throughput = fixedRate ? '' : ` and throughput ${f(rps, 2)}`;
    check(
      Math.min(cpu, fixedRate ? 1 : rps) >= DISABLED_GOAL,
      `OTEL_SDK_DISABLED=true, CPU ${f(cpu, 2)}${throughput} of no bootstrap (goal ≥ ${DISABLED_GOAL})`,
    );
  }
  const down = get('down');
  if (on && down) {
    const cpu = on.cpuMsPerRequest / down.cpuMsPerRequest;
    const rps = down.rps / on.rps;
    const throughput = fixedRate ? '' : `, throughput ${f(rps, 2)}`;
    const noise = Math.round((1 - DISABLED_GOAL) * 100);
    check(
      Math.min(cpu, fixedRate ? 1 : rps) >= DISABLED_GOAL,
      `Collector down vs up: CPU ${f(cpu, 2)}${throughput}, p99 ${f(down.p99 / on.p99, 2)}× ` +
        `(no worse than up, within ${noise} % noise)`,
    );
  }
  return out;
}

function writeDoc(section: string): void {
  if (DOC === '-' || !DOC) return;
  const start = '<!-- bench:start (written by npm run bench) -->';
  const end = '<!-- bench:end -->';
  const block = `${start}\n${section}\n${end}`;
  const existing = existsSync(DOC)
    ? readFileSync(DOC, 'utf8')
    : `# Performance: what telemetry costs\n\n${start}\n${end}\n`;
  const i = existing.indexOf(start);
  const j = existing.indexOf(end);
  const next =
    i >= 0 && j > i
      ? existing.slice(0, i) + block + existing.slice(j + end.length)
      : `${existing.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, next);
  console.log(`\nwrote the results to ${DOC}`);
}

async function main(): Promise<void> {
  if (!process.version.startsWith('v24.'))
    console.warn(`warning: node ${process.version}; the services are meant for Node 24`);
  for (const ws of ['order-service', 'inventory-service', 'telemetry']) {
    const entry = join(ROOT, ws, 'dist', ws === 'telemetry' ? 'register.js' : 'main.js');
    if (!existsSync(entry)) throw new Error(`${entry} missing: run npm run build first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ostack-bench-'));
  if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true });
  const when = new Date();
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const machine = `${cpus().length} CPUs (nproc ${nproc}), ${cpuModel()}, node ${process.version}, Linux ${kernel}`;
  console.log(`ostack bench ${when.toISOString()}\nmachine: ${machine}\nlogs and databases: ${dir}`);
  console.log(
    `${SECONDS} s per measurement, ${ROUNDS} ABBA rounds after a ${WARMUP_SECONDS} s warm-up, ` +
      `${CONNECTIONS} connections, ${SETTLE_MS} ms pause before each, autocannon on loopback`,
  );

  const disabled = hooksReport({ OTEL_SDK_DISABLED: 'true' });
  const enabled = hooksReport({});
  const hooks =
    `hooks: OTEL_SDK_DISABLED=true loads ${disabled.sdkModules} SDK/instrumentation modules ` +
    `and patches [${disabled.patched.join(', ')}]; ` +
    `telemetry on loads ${enabled.sdkModules} and patches [${enabled.patched.join(', ')}]`;
  console.log(hooks);

  let collector: Collector | undefined;
  if (CONFIG_IDS.includes('on') || process.env.BENCH_VARIANTS) {
    try {
      collector = await startCollector(dir);
      console.log(`Collector (pid ${collector.pid}) at ${collector.endpoint}`);
    } catch (err) {
      // Without a Collector the bench still compares everything else; say so loudly.
      console.error(
        `WARNING: no Collector (${(err as Error).message}): "telemetry on" is left out, variants export nowhere`,
      );
    }
  }
  const deadEndpoint = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const cfgs = configs(collector, deadEndpoint);
  const sections: string[] = [];
  const failures: string[] = [];
  try {
    for (const ep of ENDPOINTS.filter((e) => ENDPOINT_IDS.includes(e.id))) {
      mostRequests = 0;
      console.log(`\n== ${ep.label}${ep.service ? '' : ' (order-service → inventory-service)'} ==`);
      const pairs: ServicePair[] = [];
      try {
        for (const c of cfgs) {
          pairs.push(
            await startPair(c, {
              dir: join(dir, ep.id),
              tag: ep.id,
              cpuProfDir: CPU_PROF && CPU_PROF_CONFIGS.includes(c.id) ? CPU_PROF : undefined,
            }),
          );
        }
        for (const p of pairs) await measure(p, ep, WARMUP_SECONDS, -1, collector);
        for (const p of pairs) p.windows.length = 0; // profiles count the measured rounds only
        const saturated = new Map<string, Measurement[]>(cfgs.map((c) => [c.id, []]));
        const fixed = new Map<string, Measurement[]>(cfgs.map((c) => [c.id, []]));
        const show = (round: number, p: ServicePair, m: Measurement, what: string) =>
          console.log(
            `  round ${round + 1} ${p.config.label.padEnd(24)} ${what.padEnd(10)} ` +
              `${f(m.requests / m.seconds).padStart(6)} req/s  p99 ${f(m.p99, 1).padStart(6)} ms  ` +
              `CPU ${f(m.cpuMs / m.requests, 3)} ms/req${m.failures ? `  ${m.failures} failed` : ''}`,
          );
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? pairs : [...pairs].reverse();
          for (const p of order) {
            const m = await measure(p, ep, SECONDS, round, collector);
            saturated.get(p.config.id)!.push(m);
            show(round, p, m, 'saturated');
            if (!FIXED_RATE) continue;
            const r = await measure(p, ep, SECONDS, round, collector, ep.rate);
            fixed.get(p.config.id)!.push(r);
            show(round, p, r, `${ep.rate} req/s`);
          }
        }
        const rowsOf = (results: Map<string, Measurement[]>): Row[] =>
          pairs.map((p) => {
            const rounds = results.get(p.config.id)!;
            const summary = summarize(rounds);
            summary.peakRssMiB = { order: peakRssMiB(p.pids.order), inventory: peakRssMiB(p.pids.inventory) };
            return { config: p.config, summary, rounds };
          });
        const lines = [
          `### ${ep.label}`,
          '',
          `At saturation (closed loop, ${CONNECTIONS} connections):`,
          '',
          ...table(rowsOf(saturated)),
          '',
          ...goals(ep, rowsOf(saturated), false),
        ];
        if (FIXED_RATE) {
          const rows = rowsOf(fixed);
          const short = rows.filter((r) => r.summary.rps < 0.95 * ep.rate).map((r) => r.config.label);
          const notSustained = short.length ? `; **not sustained** by ${short.join(', ')}` : '';
          lines.push(
            '',
            `At a fixed ${ep.rate} req/s (the same load for every configuration${notSustained}):`,
            '',
            ...table(rows),
            '',
            ...goals(ep, rows, true),
          );
        }
        console.log(`\n${lines.join('\n')}`);
        sections.push(lines.join('\n'));
      } finally {
        for (const p of pairs) {
          const codes = await p.stop();
          if (codes.some((c) => c !== 0)) failures.push(`${ep.id}/${p.config.id} exited with ${codes.join(', ')}`);
        }
      }
    }
  } finally {
    await collector?.stop();
  }
  if (failures.length) console.error(`services did not stop cleanly: ${failures.join('; ')}`);
  const settings = Object.entries(process.env)
    .filter(([k]) => k.startsWith('OTEL_'))
    .map(([k, v]) => `${k}=${v}`);
  writeDoc(
    [
      `Run of ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
      '',
      `${SECONDS} s per measurement, ${ROUNDS} rounds in ABBA order ` +
        `after a ${WARMUP_SECONDS} s warm-up of each configuration, ` +
        `${CONNECTIONS} connections (autocannon, loopback), ${SETTLE_MS} ms pause before each measurement.` +
        (settings.length ? ` Extra settings: ${settings.join(' ')}.` : '') +
        (process.env.BENCH_VARIANTS ? ` Variants: BENCH_VARIANTS='${process.env.BENCH_VARIANTS}'.` : ''),
      '',
      `CPU ms/req: user+system time of both service processes (/proc/<pid>/stat) ` +
        `over the measured windows / requests. ` +
        `CPU none/cfg: no bootstrap's CPU per request divided by the configuration's, over all rounds ` +
        `(1 = same cost; the goals are stated this way); rounds: the same ratio per round, ` +
        `each round paired with the no-bootstrap run of that round (how noisy the machine was). ` +
        `p50/p99: median over the rounds. Peak RSS: VmHWM at the end of the run.`,
      '',
      `${hooks[0]!.toUpperCase()}${hooks.slice(1)}.`,
      '',
      ...sections.flatMap((s) => [s, '']),
    ].join('\n'),
  );
  if (CPU_PROF) console.log(`CPU profiles in ${CPU_PROF}: node bench/dist/profile-top.js <file>`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
