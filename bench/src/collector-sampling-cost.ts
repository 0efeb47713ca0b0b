// What tail sampling costs the Collector: CPU and memory (RSS) per 1000 spans/s, side by side in one run, for the
// shipped config (config_volumes/otel-collector/config.yaml + the loopback overlay stack/collector/local.yaml)
//   - without the tail sampler (the sampled branch reduced to batch: what the stack did before sampling),
//   - with it at the .env default (keeps 100 %: every trace waits decision_wait, then goes to Jaeger),
//   - with it keeping 10 % (OSTACK_TRACES_SAMPLE_PERCENT=10).
// Load: telemetrygen (contrib, OTELCOL_VERSION), traces of 10 spans over OTLP gRPC, all on loopback; a second
// Collector process stands in for Jaeger (OTLP in, counted, dropped). Each variant gets a fresh Collector, a
// warm-up (longer than decision_wait, so the sampler's buffer is full) and a measured window: CPU from
// /proc/<pid>/stat, RSS from /proc/<pid>/status each second, spans from the Collector's own otelcol_* counters.
// Run: `npm run sampling-cost` (Node 24, Linux, Go for the first build of the Collector and telemetrygen).
// Knobs: COST_SPANS_PER_S (5000), COST_WARMUP_S (15), COST_MEASURE_S (30).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntilOk } from '@ostack/test-support/net';
import { collectorBinary } from './collector.ts';
import { cpuMs, rssMiB } from './proc.ts';
import { ROOT as root, stopProcess } from './services.ts';
import { mean } from './stats.ts';

const SPANS_PER_S = Number(process.env.COST_SPANS_PER_S ?? 5000);
const WARMUP_S = Number(process.env.COST_WARMUP_S ?? 15);
const MEASURE_S = Number(process.env.COST_MEASURE_S ?? 30);
const SPANS_PER_TRACE = 10;
const WORKERS = 5;
// Loopback addresses of their own, so nothing clashes with a running stack on 127.0.0.1.
const COLLECTOR = '127.0.31.2';
const SINK = '127.0.31.3';

const version = /^OTELCOL_VERSION=(.+)$/m.exec(readFileSync(join(root, '.env'), 'utf8'))?.[1]?.trim();
if (!version) throw new Error('OTELCOL_VERSION missing from .env');
const cache = process.env.OSTACK_CACHE ?? join(homedir(), '.cache/ostack');
const dir = mkdtempSync(join(tmpdir(), 'sampling-cost-'));

function telemetrygen(): string {
  const bin = join(cache, `tools/telemetrygen-v${version}/telemetrygen`);
  if (!existsSync(bin)) {
    console.error(`installing telemetrygen v${version}`);
    execFileSync(
      'go',
      ['install', `github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v${version}`],
      {
        env: { ...process.env, GOBIN: join(cache, `tools/telemetrygen-v${version}`) },
        stdio: 'inherit',
      },
    );
  }
  return bin;
}

const children = new Set<ChildProcess>();
function start(bin: string, args: string[], env: Record<string, string>, log: string): ChildProcess {
  const fd = openSync(join(dir, log), 'a');
  const child = spawn(bin, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', fd, fd] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Sum of a counter over its series, from the Collector's own metrics endpoint. */
async function counter(name: string, filter = ''): Promise<number> {
  const text = await (await fetch(`http://${COLLECTOR}:8888/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) && line.includes(filter)) total += Number(line.split(' ').at(-1));
  return total;
}
const cpuSeconds = (pid: number) => cpuMs(pid) / 1000;

interface Variant {
  name: string;
  env: Record<string, string>;
  overlay?: string;
}
interface Result {
  name: string;
  spansIn: number;
  spansOut: number;
  cpuCores: number;
  idleRss: number;
  rssMean: number;
  rssMax: number;
}

async function measure(bin: string, gen: string, v: Variant): Promise<Result> {
  const configs = [
    '--config',
    join(root, 'config_volumes/otel-collector/config.yaml'),
    '--config',
    join(root, 'stack/collector/local.yaml'),
  ];
  if (v.overlay) {
    const file = join(dir, `${v.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, v.overlay);
    configs.push('--config', file);
  }
  const col = start(
    bin,
    configs,
    { OSTACK_COLLECTOR_HOST: COLLECTOR, OSTACK_JAEGER_OTLP_GRPC: `${SINK}:4317`, ...v.env },
    'collector.log',
  );
  await waitUntilOk(`http://${COLLECTOR}:13133/`, { child: col });
  await sleep(3_000);
  const idleRss = rssMiB(col.pid!);
  const perWorker = SPANS_PER_S / WORKERS; // telemetrygen limits spans (not traces) per worker
  const load = start(
    gen,
    [
      'traces',
      '--otlp-endpoint',
      `${COLLECTOR}:4317`,
      '--otlp-insecure',
      '--workers',
      String(WORKERS),
      '--rate',
      String(perWorker),
      '--child-spans',
      String(SPANS_PER_TRACE - 1),
      '--duration',
      `${WARMUP_S + MEASURE_S + 2}s`,
      '--service',
      'cost-bench',
    ],
    {},
    'telemetrygen.log',
  );
  await sleep(WARMUP_S * 1000);
  const in0 = await counter('otelcol_receiver_accepted_spans_total');
  const out0 = await counter('otelcol_exporter_sent_spans_total', 'otlp_grpc/jaeger');
  const cpu0 = cpuSeconds(col.pid!);
  const t0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - t0 < MEASURE_S * 1000) {
    await sleep(1_000);
    rss.push(rssMiB(col.pid!));
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: Result = {
    name: v.name,
    cpuCores: (cpuSeconds(col.pid!) - cpu0) / seconds,
    spansIn: ((await counter('otelcol_receiver_accepted_spans_total')) - in0) / seconds,
    spansOut: ((await counter('otelcol_exporter_sent_spans_total', 'otlp_grpc/jaeger')) - out0) / seconds,
    idleRss,
    rssMean: mean(rss),
    rssMax: Math.max(...rss),
  };
  await stopProcess(load);
  await stopProcess(col);
  return result;
}

const variants: Variant[] = [
  {
    name: 'no tail sampler',
    env: {},
    overlay: 'service:\n  pipelines:\n    traces/sampled:\n      processors: [batch]\n',
  },
  { name: 'tail sampling, keep 100 %', env: { OSTACK_TRACES_SAMPLE_PERCENT: '100' } },
  { name: 'tail sampling, keep 10 %', env: { OSTACK_TRACES_SAMPLE_PERCENT: '10' } },
];

const bin = collectorBinary();
const gen = telemetrygen();
// The Jaeger stand-in: OTLP gRPC in, nothing out (debug exporter at its quietest).
const sinkConfig = join(dir, 'sink.yaml');
writeFileSync(
  sinkConfig,
  [
    'receivers: {otlp: {protocols: {grpc: {endpoint: "' + SINK + ':4317"}}}}',
    'exporters: {debug: {verbosity: basic, sampling_initial: 1, sampling_thereafter: 100000}}',
    'extensions: {health_check: {endpoint: "' + SINK + ':13133"}}',
    'service: {extensions: [health_check], pipelines: {traces: {receivers: [otlp], exporters: [debug]}}, ' +
      'telemetry: {metrics: {level: none}}}',
  ].join('\n'),
);
const sink = start(bin, ['--config', sinkConfig], {}, 'sink.log');
await waitUntilOk(`http://${SINK}:13133/`, { child: sink });

console.log(
  `Collector ${version}, ${SPANS_PER_S} spans/s offered (${SPANS_PER_TRACE} spans a trace), ` +
    `${WARMUP_S} s warm-up, ${MEASURE_S} s measured; logs in ${dir}`,
);
const results: Result[] = [];
for (const v of variants) results.push(await measure(bin, gen, v));
await stopProcess(sink);

const per1000 = (r: Result) => r.spansIn / 1000;
const rows = [
  [
    'variant',
    'spans/s in',
    'to Jaeger',
    'CPU (cores)',
    'CPU per 1000 spans/s',
    'RSS MiB idle / mean / max',
    'RSS above idle per 1000 spans/s',
  ],
  ...results.map((r) => [
    r.name,
    r.spansIn.toFixed(0),
    r.spansOut.toFixed(0),
    r.cpuCores.toFixed(3),
    `${((100 * r.cpuCores) / per1000(r)).toFixed(1)} % of a core`,
    `${r.idleRss.toFixed(0)} / ${r.rssMean.toFixed(0)} / ${r.rssMax.toFixed(0)}`,
    `${((r.rssMean - r.idleRss) / per1000(r)).toFixed(1)} MiB`,
  ]),
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
