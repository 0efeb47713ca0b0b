// What each database backend gives: orders/s at saturation and CPU per order, side by side in one run, for
//   - SQLite (DATABASE_PATH, the default): one process of each service, then two sharing the same files (WAL, one
//     writer at a time: possible on one machine only),
//   - PostgreSQL (DATABASE_URL): one process of each service, then two on the same databases.
// Everything on loopback: the built services (`npm run build` first) as `node --require @ostack/telemetry/register
// dist/main.js` with OTEL_SDK_DISABLED=true (the database's cost, not telemetry's: docs/performance.md has that), and a
// PostgreSQL server started as the tests start theirs (Debian's binaries, initdb in a fresh folder, loopback, an
// unprivileged user, stopped by its pid) but durable, as shipped (fsync and synchronous_commit on; the tests turn
// them off), like SQLite's WAL with synchronous=FULL. Load: autocannon, closed loop, POST /order-product for five
// products in turn, split evenly over the order-service processes (order-service i calls inventory-service i).
// CPU: user + system time of every service process, and of the PostgreSQL server (postmaster, its live backends and
// those that exited), over the measured window, per 201 answered.
// Run: `npm run figures:database` (builds the services first), or `node bench/src/database-figures.ts` after a build. Knobs: FIG_WARMUP_S (5), FIG_MEASURE_S (15),
// FIG_CONNECTIONS (32, over all order-service processes), FIG_ROUNDS (1), FIG_BACKENDS (sqlite,postgresql),
// POSTGRES_BIN (else the newest /usr/lib/postgresql/<major>/bin).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '@ostack/test-support/net';
import { autocannon } from './load.ts';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(import.meta.dirname, '..', '..');
const WARMUP_S = Number(process.env.FIG_WARMUP_S ?? 5);
const MEASURE_S = Number(process.env.FIG_MEASURE_S ?? 15);
const CONNECTIONS = Number(process.env.FIG_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.FIG_ROUNDS ?? 1);
const PRODUCTS = [1, 2, 3, 4, 5];

const work = mkdtempSync(join(tmpdir(), 'ostack-db-figures-'));
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

/** user + system CPU ms of a process; with `children`, also that of its children it has waited for. */
function cpuMs(pid: number, children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return ticks * 10; // USER_HZ 100
}

/** A process and its live children (PostgreSQL's backends), plus what its exited children used. */
function treeCpuMs(pid: number): number {
  let ms = cpuMs(pid, true);
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) ms += cpuMs(Number(p));
    } catch {
      /* exited meanwhile: counted in the parent's children time */
    }
  }
  return ms;
}

function postgresBin(): string {
  const dir = '/usr/lib/postgresql';
  const candidates = [
    ...(process.env.POSTGRES_BIN ? [process.env.POSTGRES_BIN] : []),
    ...(existsSync(dir) ? readdirSync(dir).sort((a, b) => Number(b) - Number(a)) : []).map((v) => join(dir, v, 'bin')),
  ];
  const bin = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  if (!bin) throw new Error('no PostgreSQL server binaries: apt-get install postgresql, or set POSTGRES_BIN');
  return bin;
}

/** PostgreSQL refuses to run as root: then it runs as nobody. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

interface Postgres {
  pid: number;
  url(db: string): string;
  createDatabase(name: string): void;
}

async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  // a folder of its own beside `work` (0700, root's): the server's user must reach it
  const data = mkdtempSync(join(tmpdir(), 'ostack-db-figures-pgdata-'));
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  const user = unprivileged();
  if (user) chownSync(data, user.uid, user.gid);
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'], {
    stdio: 'pipe',
    ...user,
  });
  const port = await freePort();
  const log = openSync(join(work, 'postgres.log'), 'a');
  const args = ['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', data, '-c', 'max_connections=200'];
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', log, log], ...user });
  children.push(child);
  const psql = (db: string, sql: string) =>
    execFileSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-qc', sql], {
      stdio: 'pipe',
    });
  for (let i = 0; ; i++) {
    try {
      psql('postgres', 'SELECT 1');
      break;
    } catch (err) {
      if (child.exitCode !== null || i > 300)
        throw new Error(`postgres did not start (${work}/postgres.log)`, { cause: err });
      await sleep(100);
    }
  }
  return {
    pid: child.pid!,
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    createDatabase: (name) => psql('postgres', `CREATE DATABASE ${name}`),
  };
}

function startService(workspace: string, env: Record<string, string>, tag: string): ChildProcess {
  const err = openSync(join(work, `${tag}.stderr.log`), 'a');
  const child = spawn(process.execPath, ['--require', '@ostack/telemetry/register', 'dist/main.js'], {
    cwd: join(root, workspace),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      OTEL_SDK_DISABLED: 'true',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'ignore', err],
  });
  children.push(child);
  return child;
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode} (logs in ${work})`);
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer /health in 30 s`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(child.spawnargs[0]?.endsWith('postgres') ? 'SIGINT' : 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface Variant {
  backend: 'SQLite' | 'PostgreSQL';
  processes: number;
}
interface Row extends Variant {
  round: number;
  ordersPerS: number;
  servicesMs: number;
  databaseMs: number;
  p50: number;
  p99: number;
  failed: number;
}

async function run(variant: Variant, round: number, pg: Postgres | undefined): Promise<Row> {
  const tag = `${variant.backend.toLowerCase()}-${variant.processes}-r${round}`;
  const database = (service: string): Record<string, string> => {
    if (!pg) return { DATABASE_PATH: join(work, `${tag}-${service}.db`) };
    const name = `${service.replace('-', '_')}_${tag.replace(/-/g, '_')}`;
    pg.createDatabase(name);
    return { DATABASE_URL: pg.url(name) };
  };
  const dbs = { inventory: database('inventory'), order: database('order') };
  const procs: ChildProcess[] = [];
  const orderUrls: string[] = [];
  let inventoryUrl = '';
  try {
    for (let i = 0; i < variant.processes; i++) {
      const [ip, op] = [await freePort(), await freePort()];
      const inventory = startService('inventory-service', { ...dbs.inventory, PORT: String(ip) }, `${tag}-inv${i}`);
      procs.push(inventory);
      await waitHealthy(`http://127.0.0.1:${ip}`, inventory); // one at a time: schema creation, seeding
      inventoryUrl ||= `http://127.0.0.1:${ip}`;
      const env = { ...dbs.order, PORT: String(op), INVENTORY_SERVICE_URL: `http://127.0.0.1:${ip}` };
      const order = startService('order-service', env, `${tag}-ord${i}`);
      procs.push(order);
      await waitHealthy(`http://127.0.0.1:${op}`, order);
      orderUrls.push(`http://127.0.0.1:${op}`);
    }
    // Stock that never runs out in the window (restocks of 10 000 at most each).
    for (const product of PRODUCTS)
      for (let n = 0; n < 30; n++) {
        const r = await fetch(`${inventoryUrl}/restock`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ product_id: product, quantity: 10_000 }),
        });
        if (!r.ok) throw new Error(`restock answered ${r.status}`);
      }
    const load = (seconds: number) =>
      Promise.all(
        orderUrls.map((url, i) => {
          let n = i;
          return autocannon({
            url: `${url}/order-product`,
            connections: Math.max(1, Math.round(CONNECTIONS / orderUrls.length)),
            duration: seconds,
            requests: [
              {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                setupRequest: (req: Record<string, unknown>) => ({
                  ...req,
                  body: JSON.stringify({ username: 'fig', product_id: PRODUCTS[n++ % PRODUCTS.length], quantity: 1 }),
                }),
              },
            ],
          });
        }),
      );
    await load(WARMUP_S);
    await sleep(1_000);
    const pids = procs.map((p) => p.pid!);
    const cpu0 = { services: pids.map((p) => cpuMs(p)), db: pg ? treeCpuMs(pg.pid) : 0 };
    const t0 = performance.now();
    const results = await load(MEASURE_S);
    const seconds = (performance.now() - t0) / 1000;
    const servicesMs = pids.reduce((sum, p, i) => sum + cpuMs(p) - cpu0.services[i]!, 0);
    const databaseMs = pg ? treeCpuMs(pg.pid) - cpu0.db : 0;
    const ok = results.reduce((n, r) => n + r['2xx'], 0);
    return {
      ...variant,
      round,
      ordersPerS: ok / seconds,
      servicesMs: servicesMs / ok,
      databaseMs: databaseMs / ok,
      p50: Math.max(...results.map((r) => r.latency.p50)),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      failed: results.reduce((n, r) => n + r.non2xx + r.errors, 0),
    };
  } finally {
    for (const p of procs.reverse()) await stop(p);
  }
}

const backends = (process.env.FIG_BACKENDS ?? 'sqlite,postgresql').toLowerCase().split(',');
const variants = (
  [
    { backend: 'SQLite', processes: 1 },
    { backend: 'SQLite', processes: 2 },
    { backend: 'PostgreSQL', processes: 1 },
    { backend: 'PostgreSQL', processes: 2 },
  ] as const
).filter((v) => backends.includes(v.backend.toLowerCase()));

let pg: Postgres | undefined;
const rows: Row[] = [];
try {
  if (variants.some((v) => v.backend === 'PostgreSQL')) pg = await startPostgres();
  for (let round = 1; round <= ROUNDS; round++)
    for (const v of round % 2 ? variants : [...variants].reverse()) {
      console.error(`round ${round}: ${v.backend}, ${v.processes} process(es) per service ...`);
      rows.push(await run(v, round, v.backend === 'PostgreSQL' ? pg : undefined));
    }
} finally {
  for (const c of children.reverse()) await stop(c);
  rmSync(work, { recursive: true, force: true });
  for (const c of cleanups) c();
}

const pgVersion = pg ? execFileSync(join(postgresBin(), 'postgres'), ['--version'], { encoding: 'utf8' }).trim() : '';
console.log(
  `\nOrders at saturation: ${CONNECTIONS} connections, ${MEASURE_S} s measured after ${WARMUP_S} s warm-up, ` +
    `${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, Node ${process.version}${pgVersion ? `, ${pgVersion}` : ''}\n`,
);
console.log(
  '| backend | processes per service | round | orders/s | CPU ms per order: services | database | total | p50 ms | p99 ms | failed |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.backend} | ${r.processes} | ${r.round} | ${r.ordersPerS.toFixed(0)} | ${r.servicesMs.toFixed(2)} | ` +
      `${r.backend === 'SQLite' ? '(in process)' : r.databaseMs.toFixed(2)} | ${(r.servicesMs + r.databaseMs).toFixed(2)} | ` +
      `${r.p50} | ${r.p99} | ${r.failed} |`,
  );
