import { z } from 'zod';

/** Which database a service keeps its state in, for db.system.name and the readiness probe. */
export type DatabaseSystem = 'sqlite' | 'postgresql';

/**
 * The database could not be reached, did not answer in time, or is not ready yet: the request that needed it gets
 * a 503 (`database_unavailable`), never a 500, and may be retried. Its `cause` is the driver's error.
 */
export class DatabaseUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailable';
  }
}

/**
 * The settings both services read for their database: `DATABASE_URL=postgres://…` selects PostgreSQL, else
 * `DATABASE_PATH` (SQLite, the default). Timeouts bound every wait on PostgreSQL: node-postgres waits forever
 * by default, which turns an unreachable server into hung requests.
 */
export function databaseEnv(defaultPath: string) {
  return {
    DATABASE_PATH: z.string().min(1).default(defaultPath),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    // Most connections one process opens to PostgreSQL.
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
    // Longest wait for a connection (a new one, or a free one from a busy pool).
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
    // Longest a statement may run on the server (statement_timeout); the client gives up 1 s later.
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
  };
}

export interface DatabaseSettings {
  DATABASE_PATH: string;
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_MAX: number;
  DATABASE_CONNECT_TIMEOUT_MS: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
}

// SQLSTATE classes and codes that say "not now", not "never": connection exceptions (08), insufficient resources
// (53), operator intervention (57: shutdown, cannot connect now, statement timeout), serialization failure and
// deadlock (40001, 40P01) once retries are spent, lock not available (55P03).
const UNAVAILABLE_SQLSTATE = /^(08|53|57|40001$|40P01$|55P03$)/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-postgres's own errors carry no code, only these messages.
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection error and is not queryable|Client was closed|Cannot use a pool after calling end|ended and is not queryable/i;

/** Whether a driver error means the database is out of reach for now (a 503), rather than a bug (a 500). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailable) return true;
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  if (err instanceof AggregateError) return err.errors.some(isUnavailable); // connect() to several addresses
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/** The error as a DatabaseUnavailable when it is one, unchanged when it is not. */
export function asUnavailable(err: unknown): unknown {
  if (err instanceof DatabaseUnavailable || !isUnavailable(err)) return err;
  return new DatabaseUnavailable(`database unavailable: ${(err as Error).message || String(err)}`, { cause: err });
}
