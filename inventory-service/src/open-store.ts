import type { DatabaseSettings } from '@ostack/service-kit';
import type { Logger } from '@ostack/telemetry';
import { PgInventoryStore } from './postgres-store';
import { SqliteInventoryStore } from './sqlite-store';
import type { InventoryStore } from './store';

/** PostgreSQL when DATABASE_URL is set, else the SQLite file at DATABASE_PATH. */
export function openInventoryStore(settings: DatabaseSettings, logger: Logger): InventoryStore {
  if (settings.DATABASE_URL) return new PgInventoryStore({ ...settings, DATABASE_URL: settings.DATABASE_URL }, logger);
  return new SqliteInventoryStore(settings.DATABASE_PATH);
}
