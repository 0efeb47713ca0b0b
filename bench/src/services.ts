// Both services as real processes, started as in production (`node [--require @ostack/telemetry/register]
// dist/main.js`, own databases), for the bench and the soak.
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitHealthy } from '@ostack/test-support/net';

export const ROOT = join(import.meta.dirname, '..', '..');

export type Workspace = 'order-service' | 'inventory-service';

export interface SpawnOptions {
  /** Start with `--require @ostack/telemetry/register` (as the services' npm start does). */
  bootstrap: boolean;
  /** The service's environment, over PATH and HOME (nothing else of this process's environment is passed). */
  env: Record<string, string>;
  /** Node's own flags (--cpu-prof, --trace-gc, ...). */
  nodeArgs?: string[];
  /** Another checkout (built, with its own node_modules) to run instead of this one. */
  root?: string;
  stdio?: StdioOptions;
}

/** Starts one service's dist/main.js with Node, as its `npm start` does. */
export function spawnService(workspace: Workspace, options: SpawnOptions): ChildProcess {
  const args = [
    ...(options.nodeArgs ?? []),
    ...(options.bootstrap ? ['--require', '@ostack/telemetry/register'] : []),
    'dist/main.js',
  ];
  return spawn(process.execPath, args, {
    cwd: join(options.root ?? ROOT, workspace),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: options.stdio ?? 'ignore',
  });
}

/** SIGTERM (the service drains and flushes), SIGKILL after `graceMs`; resolves to the exit code. */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

/** One way of starting both services; every configuration runs the same build. */
export interface BenchConfig {
  id: string;
  label: string;
  /** Start with `--require @ostack/telemetry/register` (as the services' npm start does). */
  bootstrap: boolean;
  env: Record<string, string>;
  /** Another checkout (built, with its own node_modules) to run instead of this one: before/after comparisons. */
  root?: string;
}

/** Variables a user may set to try telemetry settings (OTEL_BSP_*, OTEL_BLRP_*, OTEL_METRIC_*, ...). */
function passedThrough(): Record<string, string> {
  const own = new Set(['OTEL_SDK_DISABLED', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME']);
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        (e[0].startsWith('OTEL_') || e[0] === 'LOG_LEVEL') && !own.has(e[0]) && e[1] !== undefined,
    ),
  );
}

/** A measured window: its time span, the requests served and each process's CPU time in it. */
export interface Window {
  from: number;
  to: number;
  requests: number;
  cpuMs: { order: number; inventory: number };
}

export interface ServicePair {
  config: BenchConfig;
  orderUrl: string;
  inventoryUrl: string;
  pids: { order: number; inventory: number };
  /** The measured windows, in µs of the monotonic clock (the clock of V8's CPU profiles). */
  windows: Window[];
  stop(): Promise<(number | null)[]>;
}

export interface StartOptions {
  dir: string;
  /** When set, the services of this configuration write a V8 CPU profile there on exit. */
  cpuProfDir?: string;
  tag: string;
}

function startService(
  workspace: Workspace,
  config: BenchConfig,
  env: Record<string, string>,
  { dir, cpuProfDir, tag }: StartOptions,
): ChildProcess {
  const name = `${tag}-${config.id}-${workspace}.cpuprofile`;
  // stdout (the JSON log lines) goes to /dev/null: still written by every configuration, read by no one.
  const stderr = openSync(join(dir, `${config.id}-${workspace}.stderr.log`), 'a');
  return spawnService(workspace, {
    bootstrap: config.bootstrap,
    env: { ...(config.bootstrap ? passedThrough() : {}), ...config.env, ...env },
    nodeArgs: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}`] : [],
    root: config.root,
    stdio: ['ignore', 'ignore', stderr],
  });
}

/** Starts inventory-service and order-service as in production: `node [--require ...] dist/main.js`, own databases. */
export async function startPair(config: BenchConfig, options: StartOptions): Promise<ServicePair> {
  const dir = join(options.dir, config.id);
  mkdirSync(dir, { recursive: true });
  const [inventoryPort, orderPort] = [await freePort(), await freePort()];
  const inventoryUrl = `http://127.0.0.1:${inventoryPort}`;
  const orderUrl = `http://127.0.0.1:${orderPort}`;
  const common = { HOST: '127.0.0.1', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=bench' };
  const opts = { ...options, dir };
  const inventory = startService(
    'inventory-service',
    config,
    {
      ...common,
      PORT: String(inventoryPort),
      DATABASE_PATH: join(dir, 'inventory.db'),
      OTEL_SERVICE_NAME: 'inventory-service',
    },
    opts,
  );
  const order = startService(
    'order-service',
    config,
    {
      ...common,
      PORT: String(orderPort),
      DATABASE_PATH: join(dir, 'orders.db'),
      OTEL_SERVICE_NAME: 'order-service',
      INVENTORY_SERVICE_URL: inventoryUrl,
    },
    opts,
  );
  const windows: Window[] = [];
  const stop = async () => {
    if (options.cpuProfDir) {
      // profile-top reads these, to count only samples taken while the load ran.
      for (const ws of ['order-service', 'inventory-service']) {
        const service = ws === 'order-service' ? 'order' : 'inventory';
        const own = windows.map(({ from, to, requests, cpuMs }) => ({ from, to, requests, cpuMs: cpuMs[service] }));
        writeFileSync(join(options.cpuProfDir, `${options.tag}-${config.id}-${ws}.windows.json`), JSON.stringify(own));
      }
    }
    return [await stopProcess(order), await stopProcess(inventory)];
  };
  try {
    await Promise.all([
      waitHealthy(inventoryUrl, { timeoutMs: 30_000, child: inventory }),
      waitHealthy(orderUrl, { timeoutMs: 30_000, child: order }),
    ]);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message} (see the stderr logs in ${dir})`, { cause: err });
  }
  return { config, orderUrl, inventoryUrl, pids: { order: order.pid!, inventory: inventory.pid! }, windows, stop };
}
