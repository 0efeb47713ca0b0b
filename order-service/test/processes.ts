// The services as real processes, started as in production (`node --require @ostack/telemetry/register
// dist/main.js`), for tests that kill, restart or starve them. Telemetry is off unless the caller sets OTEL_*.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { waitHealthy } from '@ostack/test-support/net';

export { freePort, waitHealthy } from '@ostack/test-support/net';

const root = join(__dirname, '..', '..');

/** Every process spawnService started, for an afterAll to SIGKILL what is still running. */
export const spawned: ChildProcess[] = [];

/** A service as in production (`node --require @ostack/telemetry/register dist/main.js`) with only `env` set. */
export function spawnService(workspace: string, env: Record<string, string>, keepStdout = false): ChildProcess {
  const child = spawn(process.execPath, ['--require', '@ostack/telemetry/register', 'dist/main.js'], {
    cwd: join(root, workspace),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  spawned.push(child);
  return child;
}

/** One service on a fixed port and database, which can be killed and started again on both. */
export class ServiceProcess {
  readonly url: string;
  child?: ChildProcess;
  /** stderr of every run, for the failure message of a test. */
  readonly stderr: string[] = [];
  /** stdout (the JSON logs) of every run, when started with `keepLogs`. */
  readonly stdout: string[] = [];
  private exited?: Promise<unknown>;

  constructor(
    readonly workspace: 'order-service' | 'inventory-service',
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly keepLogs = false,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts (again), with `extra` variables for this run only; resolves once /health and /ready answer 200. */
  async start(extra: Record<string, string> = {}): Promise<void> {
    const env = { OTEL_SDK_DISABLED: 'true', HOST: '127.0.0.1', PORT: String(this.port), ...this.env, ...extra };
    const child = spawnService(this.workspace, env, this.keepLogs);
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    child.stdout?.on('data', (d: Buffer) => this.stdout.push(d.toString()));
    this.child = child;
    this.exited = once(child, 'exit');
    await waitHealthy(this.url);
    // Ready: its database reachable and (PostgreSQL) its schema created, as an orchestrator would wait for.
    for (const deadline = Date.now() + 20_000; !(await fetch(`${this.url}/ready`)).ok;) {
      if (Date.now() > deadline) throw new Error(`${this.workspace} not ready in 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no drain, no flush, no closing of the database, as in a crash or an OOM kill. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.child!.kill(signal);
    await this.exited;
  }
}
