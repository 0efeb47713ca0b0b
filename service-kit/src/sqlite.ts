import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens (creating its folder and file on first start) a service's SQLite database and applies its schema.
 * WAL lets readers run beside the writer; the busy timeout covers another process holding the file briefly.
 */
export function openDatabase(path: string, schema: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; ${schema}`);
  return db;
}
