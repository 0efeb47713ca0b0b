export { createApp, type AppOptions } from './app';
export { readEnv } from './config';
export { ApiError, errorHandler, notFoundRoute } from './errors';
export {
  asUnavailable,
  type DatabaseSettings,
  type DatabaseSystem,
  DatabaseUnavailable,
  databaseEnv,
  isUnavailable,
} from './database';
export { healthRoute } from './health';
export { idempotencyKey } from './idempotency';
export { parseInput, positiveInt, requestFields } from './input';
export { PgDatabase, type PgDatabaseOptions, type PgQueries, type PgStatement } from './postgres';
export { DatabaseProbe, type Pingable, readyRoute } from './readiness';
export { serve, type ServeOptions } from './serve';
export { openDatabase } from './sqlite';
export { TracedSql } from './traced-sql';
