export { createApp, type AppOptions } from './app';
export { readEnv } from './config';
export { ApiError, errorHandler, notFoundRoute } from './errors';
export { healthRoute } from './health';
export { idempotencyKey } from './idempotency';
export { parseInput, positiveInt, requestFields } from './input';
export { serve, type ServeOptions } from './serve';
export { openDatabase } from './sqlite';
export { TracedSql } from './traced-sql';
