// The store, domain, race and property tests run against both backends: the same body, once on SQLite, once on
// PostgreSQL (a server of its own started by the file's first PostgreSQL test, stopped after its last).
import { afterAll, describe } from 'vitest';
import { tempDb } from './net.mts';
import { postgresMissing, PostgresServer } from './postgres';

export interface Backend {
  name: 'sqlite' | 'postgresql';
  /** The environment that points a service at a new, empty database of this backend. */
  database(name: string): Promise<Record<string, string>>;
}

export const sqlite: Backend = { name: 'sqlite', database: (name) => Promise.resolve({ DATABASE_PATH: tempDb(name) }) };

/** `body` once per backend, each in a describe named for it; PostgreSQL's skipped, saying why, without a server. */
export function eachBackend(body: (backend: Backend) => void): void {
  describe('on SQLite', () => body(sqlite));
  const missing = postgresMissing();
  if (missing) {
    describe.skip(`on PostgreSQL (skipped: ${missing})`, () => body(sqlite));
    return;
  }
  let server: Promise<PostgresServer> | undefined;
  const postgresql: Backend = {
    name: 'postgresql',
    database: async (name) => ({
      DATABASE_URL: await (await (server ??= PostgresServer.start())).createDatabase(name),
    }),
  };
  describe('on PostgreSQL', () => {
    afterAll(async () => {
      await (await server)?.stop();
    });
    body(postgresql);
  });
}
