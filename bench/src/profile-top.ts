// Where the time goes: top self-time functions and packages of V8 CPU profiles (node --cpu-prof), summed from
// their samples. Usage: node bench/dist/profile-top.js [--top N] file.cpuprofile [more.cpuprofile ...]
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

/** The package (or workspace, or node internals) a script belongs to. */
export function owner(url: string): string {
  if (!url) return '(native/VM)';
  if (url.startsWith('node:')) return 'node:internal';
  const last = url.lastIndexOf('node_modules/');
  if (last >= 0) return /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.slice(last))?.[1] ?? url;
  const ws = /\/(telemetry|service-kit|order-service|inventory-service)\/dist\//.exec(url);
  return ws ? `@ostack/${ws[1]}` : url;
}

/** Windows: [from, to] in µs of the profile's clock; samples outside them are left out. */
export function selfTimes(profile: Profile, windows?: [number, number][]): { total: number; byFunction: Map<string, number>; byOwner: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (windows && !windows.some(([from, to]) => t >= from && t <= to)) return;
    const node = nodes.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return; // not the process's own work
    total += dt;
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(\w[\w-]*\/dist\/)/, '$1');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const o = owner(url) === '(native/VM)' && functionName.startsWith('(') ? functionName : owner(url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + dt);
  });
  return { total, byFunction, byOwner };
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let n = 30;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') n = Number(args[++i]);
    else files.push(args[i]!);
  }
  if (!files.length) {
    console.error('usage: profile-top [--top N] file.cpuprofile ...');
    process.exit(2);
  }
  for (const file of files) {
    // The bench writes the measured windows beside each profile: startup and warm-up are left out.
    const sidecar = file.replace(/\.cpuprofile$/, '.windows.json');
    const windows = existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, 'utf8')) as [number, number][]) : undefined;
    const { total, byFunction, byOwner } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile, windows);
    console.log(
      `\n${file}: ${(total / 1000).toFixed(0)} ms of samples (idle and (program) left out${windows ? `; only the ${windows.length} measured windows` : ''})`,
    );
    console.log('by package (self time):');
    for (const l of top(byOwner, total, 15)) console.log(`  ${l}`);
    console.log(`top ${n} functions (self time):`);
    for (const l of top(byFunction, total, n)) console.log(`  ${l}`);
  }
}
