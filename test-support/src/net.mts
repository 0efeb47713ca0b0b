import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';

// Loopback helpers that load nothing instrumented (only types from express), so any test may import them first;
// the bench's harnesses (bench/, run by Node itself) use them too.

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves an app on an ephemeral loopback port. */
export async function listen(app: Express): Promise<Listening> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A database path in a fresh temporary directory. */
export function tempDb(name: string): string {
  return join(mkdtempSync(join(tmpdir(), `${name}-`)), `${name}.db`);
}

/** A loopback port free right now, for a process started next. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer().listen(0, host);
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** The process that should answer: when it exits first, fail at once instead of at the deadline. */
  child?: ChildProcess;
}

/** Resolves once a GET of `url` answers 2xx. */
export async function waitUntilOk(url: string, { timeoutMs = 20_000, child }: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before answering`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 2xx in ${timeoutMs} ms`);
}

/** Resolves once a service's `${url}/health` answers 2xx. */
export const waitHealthy = (url: string, options?: WaitOptions): Promise<void> => waitUntilOk(`${url}/health`, options);
