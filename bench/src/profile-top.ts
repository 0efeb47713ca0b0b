// Where the time goes: top self-time functions and packages of V8 CPU profiles (node --cpu-prof), summed from
// their samples. The bench writes the measured windows beside each profile (<name>.windows.json: time span,
// requests, the process's CPU time): then only samples inside them count, and each share is also given as CPU
// µs per request (the share of samples times the kernel's CPU time of the process, divided by the requests).
//   node bench/src/profile-top.ts [--top N] a.cpuprofile [b.cpuprofile ...]
//   node bench/src/profile-top.ts --diff [--functions] base.cpuprofile other.cpuprofile
//     (the difference by package, or by function, in µs/request)
import { existsSync, readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
interface Window {
  from: number;
  to: number;
  requests: number;
  cpuMs: number;
}

/** The package (or workspace, or node internals) a script belongs to. */
export function owner(url: string): string {
  if (!url) return '(native/VM)';
  if (url.startsWith('node:')) return 'node:internal';
  const last = url.lastIndexOf('node_modules/');
  if (last >= 0) return /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.slice(last))?.[1] ?? url;
  const ws = /\/(telemetry|service-kit|order-service|inventory-service)\/dist\//.exec(url);
  return ws ? `@ostack/${ws[1]}` : url;
}

export interface SelfTimes {
  /** Sampled µs (idle and (program) left out). */
  total: number;
  byFunction: Map<string, number>;
  byOwner: Map<string, number>;
  /** CPU µs per request that one µs of samples stands for; undefined without windows. */
  scale?: number;
  windows?: number;
}

export function selfTimes(profile: Profile, windows?: Window[]): SelfTimes {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (windows && !windows.some(({ from, to }) => t >= from && t <= to)) return;
    const node = nodes.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return; // not the process's own work
    total += dt;
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/([\w-]+\/dist\/)/, '$1');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const o = !url && functionName.startsWith('(') ? functionName : owner(url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + dt);
  });
  if (!windows?.length) return { total, byFunction, byOwner };
  const requests = windows.reduce((n, w) => n + w.requests, 0);
  const cpuUs = windows.reduce((n, w) => n + w.cpuMs, 0) * 1000;
  return { total, byFunction, byOwner, scale: cpuUs / requests / total, windows: windows.length };
}

export function load(file: string): SelfTimes {
  const sidecar = file.replace(/\.cpuprofile$/, '.windows.json');
  const windows = existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, 'utf8')) as Window[]) : undefined;
  return selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile, windows);
}

function fmt(v: number, s: SelfTimes): string {
  const share = `${((100 * v) / s.total).toFixed(1).padStart(5)} %`;
  return s.scale
    ? `${share} ${(v * s.scale).toFixed(0).padStart(6)} µs/req`
    : `${share} ${(v / 1000).toFixed(0).padStart(6)} ms`;
}

function top(map: Map<string, number>, s: SelfTimes, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${fmt(v, s)}  ${k}`);
}

function diff(a: SelfTimes, b: SelfTimes, n: number, by: 'byOwner' | 'byFunction' = 'byOwner'): string[] {
  if (!a.scale || !b.scale) throw new Error('--diff needs the .windows.json of both profiles (written by the bench)');
  const keys = new Set([...a[by].keys(), ...b[by].keys()]);
  const rows = [...keys].map((k) => {
    const x = (a[by].get(k) ?? 0) * a.scale!;
    const y = (b[by].get(k) ?? 0) * b.scale!;
    return { k, x, y, d: y - x };
  });
  rows.sort((p, q) => Math.abs(q.d) - Math.abs(p.d));
  const total = (s: SelfTimes) => s.total * s.scale!;
  const us = (v: number, width = 7) => v.toFixed(0).padStart(width);
  const keyWidth = by === 'byOwner' ? 44 : 70;
  return [
    `${'total'.padEnd(44)} ${us(total(a))} ${us(total(b))} ${us(total(b) - total(a))}  µs/req (CPU of the process)`,
    ...rows
      .slice(0, n)
      .map(
        ({ k, x, y, d }) => `${k.slice(0, 70).padEnd(keyWidth)} ${us(x)} ${us(y)} ${(d >= 0 ? '+' : '') + us(d, 6)}`,
      ),
  ];
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  let n = 30;
  let compare = false;
  let by: 'byOwner' | 'byFunction' = 'byOwner';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') n = Number(args[++i]);
    else if (args[i] === '--diff') compare = true;
    else if (args[i] === '--functions') by = 'byFunction';
    else files.push(args[i]!);
  }
  if (!files.length || (compare && files.length !== 2)) {
    console.error(
      'usage: profile-top [--top N] file.cpuprofile ...  |  ' +
        'profile-top --diff [--functions] base.cpuprofile other.cpuprofile',
    );
    process.exit(2);
  }
  if (compare) {
    console.log(`by ${by === 'byOwner' ? 'package' : 'function'}, CPU µs per request: ${files[0]} vs ${files[1]}`);
    for (const l of diff(load(files[0]!), load(files[1]!), n, by)) console.log(`  ${l}`);
  } else {
    for (const file of files) {
      const s = load(file);
      const cpu = s.scale
        ? `; ${(s.total * s.scale).toFixed(0)} µs CPU per request over ${s.windows} measured windows`
        : '';
      console.log(`\n${file}: ${(s.total / 1000).toFixed(0)} ms of samples (idle and (program) left out${cpu})`);
      console.log('by package (self time):');
      for (const l of top(s.byOwner, s, 15)) console.log(`  ${l}`);
      console.log(`top ${n} functions (self time):`);
      for (const l of top(s.byFunction, s, n)) console.log(`  ${l}`);
    }
  }
}
