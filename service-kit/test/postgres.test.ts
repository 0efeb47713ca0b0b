// PgDatabase against a real PostgreSQL server: the schema created once by replicas starting together, int8 as
// numbers, transactions rolled back and their connection discarded on failure, bounded waits as DatabaseUnavailable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMissing, PostgresServer } from '@ostack/test-support/postgres';
import { DatabaseUnavailable, PgDatabase } from '../src/index';
import { captureLogs } from './log-capture';

const missing = postgresMissing();
let server: PostgresServer;

beforeAll(async () => {
  if (!missing) server = await PostgresServer.start();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text UNIQUE NOT NULL);
  CREATE INDEX IF NOT EXISTS things_name ON things (name);`;

function open(url: string, extra: Record<string, number> = {}) {
  const { logger, records } = captureLogs();
  const settings = {
    DATABASE_PATH: 'unused',
    DATABASE_URL: url,
    DATABASE_POOL_MAX: 4,
    DATABASE_CONNECT_TIMEOUT_MS: 2_000,
    DATABASE_STATEMENT_TIMEOUT_MS: 3_000,
    ...extra,
  };
  return { db: new PgDatabase({ settings, logger, applicationName: 'test', schema: SCHEMA }), records };
}

const insert = { name: 'things.insert', text: 'INSERT INTO things (name) VALUES ($1) RETURNING id, name' };
const count = { name: 'things.count', text: 'SELECT count(*) AS n FROM things' };

describe.skipIf(missing)(`PgDatabase${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('six replicas starting at once create the schema once, without an error, and serve', async () => {
    const url = await server.createDatabase('schema');
    const replicas = Array.from({ length: 6 }, () => open(url));
    try {
      await Promise.all(replicas.map((r) => r.db.ready));
      expect(replicas.flatMap((r) => r.records.filter((l) => l.level !== 'info'))).toEqual([]);
      // Run again (a restart): still fine.
      const again = open(url);
      await again.db.ready;
      expect(again.records).toEqual([]);
      await again.db.close();
      expect(await replicas[0]!.db.first(insert, ['a'])).toEqual({ id: 1, name: 'a' });
    } finally {
      await Promise.all(replicas.map((r) => r.db.close()));
    }
  });

  it('int8 comes back as a number, as on SQLite', async () => {
    const { db } = open(await server.createDatabase('int8'));
    await db.ready;
    await db.first(insert, ['x']);
    expect(await db.first(count)).toEqual({ n: 1 });
    await db.close();
  });

  it('a transaction that throws is rolled back, and the error is the caller’s own', async () => {
    const { db } = open(await server.createDatabase('tx'));
    await db.ready;
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.first(insert, ['rolled back']);
        throw boom;
      }),
    ).rejects.toBe(boom);
    // A unique violation is a bug of ours, not an outage: it is not turned into a 503.
    await db.first(insert, ['once']);
    const dup = await db.first(insert, ['once']).catch((e: unknown) => e);
    expect(dup).not.toBeInstanceOf(DatabaseUnavailable);
    expect(await db.first(count)).toEqual({ n: 1 });
    await db.close();
  });

  it('a statement over its timeout is DatabaseUnavailable (a 503), not a hang', async () => {
    const { db } = open(await server.createDatabase('slow'), { DATABASE_STATEMENT_TIMEOUT_MS: 300 });
    await db.ready;
    const started = Date.now();
    const err = await db.first({ name: 'sleep', text: 'SELECT pg_sleep(5)' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailable);
    expect(Date.now() - started).toBeLessThan(2_000);
    await db.close();
  });
});
