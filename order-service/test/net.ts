import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';

// Test helpers that load nothing instrumented (only types from express), so any test may import them first.

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

export function tempDb(name: string): string {
  return join(mkdtempSync(join(tmpdir(), `${name}-`)), `${name}.db`);
}

