// The bench's results as Markdown: a table per endpoint and load, the goals met or not, and the section that
// `--write-doc` puts between the bench markers of docs/performance.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Options } from './options.ts';
import type { Endpoint } from './scenarios.ts';
import type { BenchConfig } from './services.ts';
import { type Measurement, roundRatios, type Summary } from './stats.ts';

// The goals: telemetry on vs no bootstrap, per endpoint (the single-service one has none).
const GOAL: Record<string, number | undefined> = { list: 0.7, order: 0.85 };
const P99_GOAL = 1.3;
const DISABLED_GOAL = 0.97;

export const f = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export interface Row {
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

/** One endpoint's results: at saturation, and at its fixed rate when measured. */
export function endpointSection(ep: Endpoint, connections: number, saturated: Row[], fixed?: Row[]): string {
  const block = (heading: string, rows: Row[], fixedRate: boolean) => [
    '',
    heading,
    '',
    ...table(rows),
    '',
    ...goals(ep, rows, fixedRate),
  ];
  const lines = [
    `### ${ep.label}`,
    ...block(`At saturation (closed loop, ${connections} connections):`, saturated, false),
  ];
  if (fixed) {
    const short = fixed.filter((r) => r.summary.rps < 0.95 * ep.rate).map((r) => r.config.label);
    const notSustained = short.length ? `; **not sustained** by ${short.join(', ')}` : '';
    const heading = `At a fixed ${ep.rate} req/s (the same load for every configuration${notSustained}):`;
    lines.push(...block(heading, fixed, true));
  }
  return lines.join('\n');
}

/** The whole run: when and where, how it was measured, what the columns mean, the hooks, the endpoints. */
export function runSection(
  run: { when: Date; machine: string; hooks: string; sections: string[] },
  o: Options,
): string {
  const settings = Object.entries(process.env)
    .filter(([k]) => k.startsWith('OTEL_'))
    .map(([k, v]) => `${k}=${v}`);
  return [
    `Run of ${run.when.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${run.machine}.`,
    '',
    `${o.seconds} s per measurement, ${o.rounds} rounds in ABBA order ` +
      `after a ${o.warmupSeconds} s warm-up of each configuration, ` +
      `${o.connections} connections (autocannon, loopback), ${o.settleMs} ms pause before each measurement.` +
      (settings.length ? ` Extra settings: ${settings.join(' ')}.` : '') +
      (o.variants ? ` Variants: BENCH_VARIANTS='${o.variants}'.` : ''),
    '',
    `CPU ms/req: user+system time of both service processes (/proc/<pid>/stat) ` +
      `over the measured windows / requests. ` +
      `CPU none/cfg: no bootstrap's CPU per request divided by the configuration's, over all rounds ` +
      `(1 = same cost; the goals are stated this way); rounds: the same ratio per round, ` +
      `each round paired with the no-bootstrap run of that round (how noisy the machine was). ` +
      `p50/p99: median over the rounds. Peak RSS: VmHWM at the end of the run.`,
    '',
    `${run.hooks[0]!.toUpperCase()}${run.hooks.slice(1)}.`,
    '',
    ...run.sections.flatMap((s) => [s, '']),
  ].join('\n');
}

const START = '<!-- bench:start';
const END = '<!-- bench:end -->';

/** Replaces what stands between the bench markers of `file` (creating either where missing). */
export function writeDoc(file: string, section: string): void {
  const start = `${START} (written by npm run bench -- --write-doc) -->`;
  const block = `${start}\n${section}\n${END}`;
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : `# Performance: what telemetry costs\n`;
  const i = existing.indexOf(START);
  const j = existing.indexOf(END);
  const next =
    i >= 0 && j > i
      ? existing.slice(0, i) + block + existing.slice(j + END.length)
      : `${existing.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
