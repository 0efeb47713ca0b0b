// The stack's real Collector, run natively for the bench's harnesses.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitUntilOk } from '@ostack/test-support/net';
import { ROOT, stopProcess } from './services.ts';

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
export function collectorBinary(): string {
  if (process.env.OSTACK_COLLECTOR_BIN) return process.env.OSTACK_COLLECTOR_BIN;
  const out = execFileSync('bash', [join(ROOT, 'stack/scripts/build-collector.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1)!;
}

/**
 * The shipped config plus the loopback overlay: it listens on OSTACK_COLLECTOR_HOST (default 127.0.0.2) and exports
 * to loopback stand-ins for Jaeger and Loki; where none runs it retries and drops, which does not change what the
 * services pay.
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
  try {
    await waitUntilOk(`http://${host}:13133/`, { timeoutMs: 30_000, child });
    // Healthy means started; the OTLP port is checked as well, briefly, before any service exports to it.
    for (let i = 0; !(await listening(host, 4318)); i++) {
      if (i === 50) throw new Error(`healthy, but nothing listens on ${host}:4318`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stopProcess(child);
    throw new Error(`the Collector did not start: ${(err as Error).message} (see ${logDir}/collector.stderr.log)`, {
      cause: err,
    });
  }
  return {
    endpoint: `http://${host}:4318`,
    pid: child.pid!,
    async stop() {
      await stopProcess(child);
    },
  };
}
