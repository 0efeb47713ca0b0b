import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './services';

export interface Collector {
  /** OTLP/HTTP endpoint for the services. */
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The path of the native Collector binary (OSTACK_COLLECTOR_BIN, or the cached build of stack/scripts). */
function collectorBinary(): string {
  if (process.env.OSTACK_COLLECTOR_BIN) return process.env.OSTACK_COLLECTOR_BIN;
  const out = execFileSync('bash', [join(ROOT, 'stack/scripts/build-collector.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1)!;
}

/**
 * The stack's real Collector, run natively with the shipped config plus the loopback overlay: it listens on
 * OSTACK_COLLECTOR_HOST (default 127.0.0.2) and exports to loopback stand-ins for Jaeger and Loki; where none
 * runs it retries and drops, which does not change what the services pay.
 */
export async function startCollector(logDir: string): Promise<Collector> {
  const host = process.env.OSTACK_COLLECTOR_HOST || '127.0.0.2';
  if (await listening(host, 4318)) {
    throw new Error(`something already listens on ${host}:4318; set OSTACK_COLLECTOR_HOST to a free loopback address`);
  }
  const bin = collectorBinary();
  const child: ChildProcess = spawn(
    bin,
    ['--config', 'config_volumes/otel-collector/config.yaml', '--config', 'stack/collector/local.yaml'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OSTACK_COLLECTOR_HOST: host },
      stdio: ['ignore', 'ignore', openSync(join(logDir, 'collector.stderr.log'), 'a')],
    },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the Collector exited with ${child.exitCode} (see ${logDir}/collector.stderr.log)`);
    try {
      if ((await fetch(`http://${host}:13133/`)).ok && (await listening(host, 4318))) break;
    } catch {
      /* starting */
    }
    if (Date.now() > deadline) throw new Error('the Collector did not become healthy in 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint: `http://${host}:4318`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
