import type { DatabaseSettings } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import { PgOrderStore } from './postgres-store';
import { SqliteOrderStore } from './sqlite-store';
import type { OrderStore } from './store';

/** PostgreSQL when DATABASE_URL is set, else the SQLite file at DATABASE_PATH. */
export function openOrderStore(settings: DatabaseSettings, logger: Logger): OrderStore {
  if (settings.DATABASE_URL) return new PgOrderStore({ ...settings, DATABASE_URL: settings.DATABASE_URL }, logger);
  return new SqliteOrderStore(settings.DATABASE_PATH);
}
