import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '@ostack/telemetry';
import { asUnavailable, type DatabaseSettings, DatabaseUnavailable, isUnavailable } from './database';

/**
 * A statement prepared once per connection: node-postgres parses and plans a named statement on its first run on
 * a connection and then only binds values. The name is also what instrumentation-pg names its span for
 * (`pg.query:<name> <database>`), so it says what the statement does.
 */
export interface PgStatement {
  name: string;
  text: string;
}

/** Runs statements: the pool (each on any connection) or one checked-out connection inside a transaction. */
export interface PgQueries {
  /** The rows the statement returns. */
  rows<Row extends pg.QueryResultRow>(statement: PgStatement, values?: unknown[]): Promise<Row[]>;
  /** Its first row, if any. */
  first<Row extends pg.QueryResultRow>(statement: PgStatement, values?: unknown[]): Promise<Row | undefined>;
}

export interface PgDatabaseOptions {
  settings: DatabaseSettings & { DATABASE_URL: string };
  logger: Logger;
  /** Who connects (PostgreSQL's application_name, seen in pg_stat_activity). */
  applicationName: string;
  /** Creates the tables when missing; run at start under a transaction-scoped advisory lock, safe to run again. */
  schema: string;
}

const INT8 = 20;
// int8 (bigint, COUNT(*), identity ids) arrives as text by default, since it may exceed 2^53: ours never do
// (ids and stock stay far below), and the API answers numbers, as with SQLite.
const defaultParser = pg.types.getTypeParser as (oid: number, format?: string) => unknown;
const types = {
  getTypeParser: ((oid: number, format?: string): unknown =>
    oid === INT8 && format !== 'binary' ? Number : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Conflicts a transaction retries on its own: serialization failure and deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 4;

/**
 * A service's PostgreSQL: a bounded pool (every wait has a timeout), its schema created in the background until
 * the server answers (the service starts, and answers 503, while PostgreSQL is down), transactions each on one
 * checked-out connection. Errors that mean "PostgreSQL is out of reach" come out as DatabaseUnavailable.
 */
export class PgDatabase implements PgQueries {
  readonly system = 'postgresql' as const;
  private readonly pool: pg.Pool;
  private schemaReady = false;
  private closed = false;
  /** Resolves once the schema exists (never rejects: it retries until then, or until close()). */
  readonly ready: Promise<void>;

  constructor(private readonly options: PgDatabaseOptions) {
    const { settings } = options;
    this.pool = new pg.Pool({
      connectionString: settings.DATABASE_URL,
      application_name: options.applicationName,
      max: settings.DATABASE_POOL_MAX,
      connectionTimeoutMillis: settings.DATABASE_CONNECT_TIMEOUT_MS,
      statement_timeout: settings.DATABASE_STATEMENT_TIMEOUT_MS,
      // The client's own bound, for when the server is silent (packets dropped): the server's comes first.
      query_timeout: settings.DATABASE_STATEMENT_TIMEOUT_MS + 1_000,
      // A transaction left open by a client that vanished must not hold its locks for long.
      idle_in_transaction_session_timeout: 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      types,
    });
    // An idle connection dropped by the server (restart, failover) is an 'error' on the pool: unhandled, it would
    // crash the process. The pool has already removed it; the next request opens a new one.
    this.pool.on('error', (err) => options.logger.warn('idle database connection lost', { error: err.message }));
    this.ready = this.createSchema();
  }

  rows<Row extends pg.QueryResultRow>(statement: PgStatement, values: unknown[] = []): Promise<Row[]> {
    return this.run(async () => (await this.pool.query<Row>({ ...statement, values })).rows);
  }

  async first<Row extends pg.QueryResultRow>(statement: PgStatement, values: unknown[] = []): Promise<Row | undefined> {
    return (await this.rows<Row>(statement, values))[0];
  }

  /**
   * Runs `work` in one transaction on one checked-out connection: committed when it resolves, rolled back when it
   * throws. A serialization failure or deadlock is retried a few times, then a 503. On any failure the connection
   * is released with the error, so the pool discards it rather than hand out one in an unknown state.
   */
  async transaction<T>(
    work: (tx: PgQueries) => Promise<T>,
    isolation: 'READ COMMITTED' | 'SERIALIZABLE' = 'READ COMMITTED',
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.run(() => this.pool.connect());
      // The pool listens for errors only on idle clients: a connection lost while checked out would be an
      // unhandled 'error' event (a crash). Its pending query fails too, which is what the caller sees.
      const lost = (err: Error) => this.options.logger.warn('database connection lost', { error: err.message });
      client.on('error', lost);
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
        const result = await work(new ClientQueries(client));
        await client.query('COMMIT');
        client.off('error', lost);
        client.release();
        return result;
      } catch (err) {
        client.off('error', lost);
        client.release(err instanceof Error ? err : true);
        const code = (err as { code?: string }).code ?? '';
        if (RETRYABLE.has(code) && attempt < ATTEMPTS) {
          await sleep(5 * 2 ** attempt * Math.random());
          continue;
        }
        throw asUnavailable(err);
      }
    }
  }

  /** One cheap round trip, bounded by `timeoutMs`: rejects while the server or the schema is not there. */
  async ping(timeoutMs: number): Promise<void> {
    if (this.closed) throw new DatabaseUnavailable('database closed');
    if (!this.schemaReady) throw new DatabaseUnavailable('database schema not created yet');
    const query = this.pool.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);
    query.catch(() => undefined); // its late failure, once the race below is lost, is not news
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        query,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new DatabaseUnavailable(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Runs a statement of ours once the schema is there; out-of-reach errors become DatabaseUnavailable. */
  private async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new DatabaseUnavailable('database closed: the service is stopping');
    if (!this.schemaReady) throw new DatabaseUnavailable('database not ready: its schema is not created yet');
    try {
      return await op();
    } catch (err) {
      throw asUnavailable(err);
    }
  }

  /**
   * CREATE TABLE IF NOT EXISTS is not safe when two replicas run it at once (both may try to create the table's
   * type), so each holds an advisory lock while it does: transaction-scoped, because a session lock taken
   * through a pool would be released on whichever connection the unlock happens to run on. Retried with backoff
   * while PostgreSQL is out of reach; any other error is logged and retried too (a replica of a newer version
   * may be migrating).
   */
  private async createSchema(): Promise<void> {
    const { logger, schema, applicationName } = this.options;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const client = await this.pool.connect();
        const lost = (err: Error) => logger.warn('database connection lost', { error: err.message });
        client.on('error', lost);
        try {
          await client.query('BEGIN');
          await client.query({ text: 'SELECT pg_advisory_xact_lock(hashtext($1))', values: [applicationName] });
          await client.query(schema);
          await client.query('COMMIT');
          client.release();
        } catch (err) {
          client.release(err instanceof Error ? err : true);
          throw err;
        } finally {
          client.off('error', lost);
        }
        this.schemaReady = true;
        if (attempt > 1) logger.info('database schema ready', { attempts: attempt });
        return;
      } catch (err) {
        if (this.closed) return;
        const message = (err as Error).message;
        if (isUnavailable(err)) logger.warn('database unreachable, schema creation retried', { error: message });
        else logger.error('database schema creation failed, retried', { error: message });
        await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)));
      }
    }
  }
}

/** The statements of one transaction, on its checked-out connection. */
class ClientQueries implements PgQueries {
  constructor(private readonly client: pg.PoolClient) {}

  async rows<Row extends pg.QueryResultRow>(statement: PgStatement, values: unknown[] = []): Promise<Row[]> {
    return (await this.client.query<Row>({ ...statement, values })).rows;
  }

  async first<Row extends pg.QueryResultRow>(statement: PgStatement, values: unknown[] = []): Promise<Row | undefined> {
    return (await this.rows<Row>(statement, values))[0];
  }
}
