// The native stack: the real Collector, Jaeger and Prometheus binaries, each in the network namespace of its
// compose host (stack/scripts/netns.sh), with the shipped files of config_volumes/; the two services as real
// Node processes with the environment compose gives them. Loki (AGPL, never built here) and Grafana are not run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCompose } from '../helpers/compose';
import { repoPath } from '../helpers/repo';

export type Program = 'jaeger' | 'otel-collector' | 'prometheus' | 'inventory-service' | 'order-service';

/** Start order (what each needs is up before it); stop runs it backwards. */
const ORDER: readonly Program[] = ['jaeger', 'otel-collector', 'prometheus', 'inventory-service', 'order-service'];

interface Spec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  ready: string;
  /** How long readiness may take (default 60 s). */
  readyMs?: number;
}

const must = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the native stack through \`npm run test:stack\``);
  return value;
};

export class NativeStack {
  readonly logDir = repoPath('.stack-run', 'logs');
  private readonly data = mkdtempSync(join(tmpdir(), 'ostack-stack-'));
  private readonly running = new Map<Program, ChildProcess>();

  /** Each program's command line, config files and readiness URL. */
  private spec(program: Program): Spec {
    const repo = repoPath();
    switch (program) {
      case 'jaeger':
        return {
          command: must('OSTACK_JAEGER_BIN'),
          args: ['--config', 'config_volumes/jaeger/config.yaml', '--config', 'stack/native/jaeger.yaml'],
          cwd: repo,
          env: { OSTACK_REPO: repo, OSTACK_JAEGER_DATA: join(this.data, 'jaeger') },
          ready: 'http://jaeger:13133/status',
        };
      case 'otel-collector':
        return {
          command: must('OSTACK_COLLECTOR_BIN'),
          args: ['--config', 'config_volumes/otel-collector/config.yaml'],
          cwd: repo,
          env: {},
          ready: 'http://otel-collector:13133/',
        };
      case 'prometheus':
        // The compose command's flags, with a scratch data directory.
        return {
          command: 'prometheus',
          args: [
            '--config.file=config_volumes/prometheus/prometheus.yml',
            `--storage.tsdb.path=${join(this.data, 'prometheus')}`,
            '--enable-feature=exemplar-storage',
            '--web.listen-address=0.0.0.0:9090',
          ],
          cwd: repo,
          env: {},
          ready: 'http://prometheus:9090/-/ready',
        };
      case 'inventory-service':
      case 'order-service': {
        const service = loadCompose().compose.services[program]!;
        return {
          command: process.execPath,
          args: ['--require', '@ostack/telemetry/register', 'dist/main.js'],
          cwd: repoPath(program),
          env: {
            ...service.environment,
            // Compose mounts a volume at /data; here each run gets a scratch directory.
            DATABASE_PATH: join(this.data, `${program}.db`),
            // Metrics every 2 s instead of 10 s, so the test waits less; nothing else differs from compose.
            OTEL_METRIC_EXPORT_INTERVAL: '2000',
          },
          ready: `http://${program}:${service.environment!.PORT}/health`,
        };
      }
    }
  }

  /** Validates every config with its own program, then starts the stack in dependency order. */
  async start(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    this.validate();
    for (const p of ORDER) await this.startProgram(p);
  }

  validate(): void {
    const repo = repoPath();
    const env = { ...process.env, OSTACK_REPO: repo, OSTACK_JAEGER_DATA: join(this.data, 'jaeger') };
    execFileSync(must('OSTACK_COLLECTOR_BIN'), ['validate', '--config', 'config_volumes/otel-collector/config.yaml'], { cwd: repo, env, stdio: 'pipe' });
    execFileSync(must('OSTACK_JAEGER_BIN'), ['validate', '--config', 'config_volumes/jaeger/config.yaml', '--config', 'stack/native/jaeger.yaml'], { cwd: repo, env, stdio: 'pipe' });
    execFileSync('promtool', ['check', 'config', 'config_volumes/prometheus/prometheus.yml'], { cwd: repo, env, stdio: 'pipe' });
  }

  async startProgram(program: Program): Promise<void> {
    const spec = this.spec(program);
    const log = createWriteStream(join(this.logDir, `${program}.log`), { flags: 'a' });
    const child = spawn('ip', ['netns', 'exec', `ostack-${program}`, spec.command, ...spec.args], {
      cwd: spec.cwd,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.running.set(program, child);
    await waitReady(spec.ready, child, program, join(this.logDir, `${program}.log`), spec.readyMs);
  }

  /** SIGTERM, as `docker compose stop` does, and wait for the exit. */
  async stopProgram(program: Program): Promise<number | null> {
    const child = this.running.get(program);
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    this.running.delete(program);
    return code;
  }

  async stop(): Promise<void> {
    for (const p of [...ORDER].reverse()) await this.stopProgram(p).catch(() => undefined);
    // The programs' scratch data (logs stay in .stack-run/logs).
    rmSync(this.data, { recursive: true, force: true });
  }
}

async function waitReady(url: string, child: ChildProcess, name: string, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  throw new Error(`${name} not ready at ${url} (exit code ${child.exitCode})\n${tail}`);
}
