// npm run bench: what telemetry costs (--help for the options). Both services as real processes, the same build,
// in several configurations measured alternately (ABBA rounds after a warm-up) so that machine drift cancels out.
// It prints the figures; only --write-doc writes them into docs/performance.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ostack/test-support/net';
import { type Collector, startCollector } from './collector.ts';
import { HELP, type Options, readOptions } from './options.ts';
import { cpuModel, peakRssMiB } from './proc.ts';
import { endpointSection, f, type Row, runSection, writeDoc } from './report.ts';
import { configs, type Endpoint, endpoints, hooksReport, Measurer } from './scenarios.ts';
import { type BenchConfig, ROOT, type ServicePair, startPair } from './services.ts';
import { type Measurement, summarize } from './stats.ts';

/** Every configuration of one endpoint, in ABBA rounds; resolves to that endpoint's Markdown section. */
async function benchEndpoint(
  o: Options,
  ep: Endpoint,
  cfgs: BenchConfig[],
  dir: string,
  collector: Collector | undefined,
  failures: string[],
): Promise<string> {
  console.log(`\n== ${ep.label}${ep.service ? '' : ' (order-service → inventory-service)'} ==`);
  const measurer = new Measurer(o, collector);
  const pairs: ServicePair[] = [];
  try {
    for (const c of cfgs) {
      const cpuProfDir = o.cpuProf && o.cpuProfConfigs.includes(c.id) ? o.cpuProf : undefined;
      pairs.push(await startPair(c, { dir: join(dir, ep.id), tag: ep.id, cpuProfDir }));
    }
    for (const p of pairs) await measurer.measure(p, ep, o.warmupSeconds, -1);
    for (const p of pairs) p.windows.length = 0; // profiles count the measured rounds only
    const saturated = new Map<string, Measurement[]>(cfgs.map((c) => [c.id, []]));
    const fixed = new Map<string, Measurement[]>(cfgs.map((c) => [c.id, []]));
    const show = (round: number, p: ServicePair, m: Measurement, what: string) =>
      console.log(
        `  round ${round + 1} ${p.config.label.padEnd(24)} ${what.padEnd(10)} ` +
          `${f(m.requests / m.seconds).padStart(6)} req/s  p99 ${f(m.p99, 1).padStart(6)} ms  ` +
          `CPU ${f(m.cpuMs / m.requests, 3)} ms/req${m.failures ? `  ${m.failures} failed` : ''}`,
      );
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? pairs : [...pairs].reverse();
      for (const p of order) {
        const m = await measurer.measure(p, ep, o.seconds, round);
        saturated.get(p.config.id)!.push(m);
        show(round, p, m, 'saturated');
        if (!o.fixedRate) continue;
        const r = await measurer.measure(p, ep, o.seconds, round, ep.rate);
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
    const section = endpointSection(ep, o.connections, rowsOf(saturated), o.fixedRate ? rowsOf(fixed) : undefined);
    console.log(`\n${section}`);
    return section;
  } finally {
    for (const p of pairs) {
      const codes = await p.stop();
      if (codes.some((c) => c !== 0)) failures.push(`${ep.id}/${p.config.id} exited with ${codes.join(', ')}`);
    }
  }
}

async function main(): Promise<void> {
  const o = readOptions(process.argv.slice(2), process.env);
  if (o === 'help') {
    console.log(HELP);
    return;
  }
  if (!process.version.startsWith('v24.'))
    console.warn(`warning: node ${process.version}; the services are meant for Node 24`);
  for (const ws of ['order-service', 'inventory-service', 'telemetry']) {
    const entry = join(ROOT, ws, 'dist', ws === 'telemetry' ? 'register.js' : 'main.js');
    if (!existsSync(entry)) throw new Error(`${entry} missing: run npm run build first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ostack-bench-'));
  if (o.cpuProf) mkdirSync(o.cpuProf, { recursive: true });
  const when = new Date();
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const machine = `${cpus().length} CPUs (nproc ${nproc}), ${cpuModel()}, node ${process.version}, Linux ${kernel}`;
  console.log(`ostack bench ${when.toISOString()}\nmachine: ${machine}\nlogs and databases: ${dir}`);
  console.log(
    `${o.seconds} s per measurement, ${o.rounds} ABBA rounds after a ${o.warmupSeconds} s warm-up, ` +
      `${o.connections} connections, ${o.settleMs} ms pause before each, autocannon on loopback`,
  );

  const disabled = hooksReport({ OTEL_SDK_DISABLED: 'true' });
  const enabled = hooksReport({});
  const hooks =
    `hooks: OTEL_SDK_DISABLED=true loads ${disabled.sdkModules} SDK/instrumentation modules ` +
    `and patches [${disabled.patched.join(', ')}]; ` +
    `telemetry on loads ${enabled.sdkModules} and patches [${enabled.patched.join(', ')}]`;
  console.log(hooks);

  let collector: Collector | undefined;
  if (o.configIds.includes('on') || o.variants) {
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
  const cfgs = configs(o, collector, deadEndpoint);
  const sections: string[] = [];
  const failures: string[] = [];
  try {
    for (const ep of endpoints(o).filter((e) => o.endpointIds.includes(e.id)))
      sections.push(await benchEndpoint(o, ep, cfgs, dir, collector, failures));
  } finally {
    await collector?.stop();
  }
  if (failures.length) console.error(`services did not stop cleanly: ${failures.join('; ')}`);
  if (o.writeDoc) {
    writeDoc(o.writeDoc, runSection({ when, machine, hooks, sections }, o));
    console.log(`\nwrote the results to ${o.writeDoc}`);
  } else console.log('\n(not written anywhere: npm run bench -- --write-doc puts them into docs/performance.md)');
  if (o.cpuProf) console.log(`CPU profiles in ${o.cpuProf}: node bench/src/profile-top.ts <file>`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
