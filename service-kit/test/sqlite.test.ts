import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/index';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);';

describe('openDatabase', () => {
  it('creates the folder and file on first start, applies the schema, WAL and a busy timeout', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sqlite-')), 'not', 'yet', 'there.db');
    const db = openDatabase(path, SCHEMA);
    expect(existsSync(path)).toBe(true);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA busy_timeout').get()).toEqual({ timeout: 5_000 });
    db.prepare('INSERT INTO things (name) VALUES (?)').run('kept');
    db.close();
    // A second start finds the data and applies the (idempotent) schema again.
    const again = openDatabase(path, SCHEMA);
    expect(again.prepare('SELECT name FROM things').all()).toEqual([{ name: 'kept' }]);
    again.close();
  });

  it('an in-memory database creates no folder', () => {
    const db = openDatabase(':memory:', SCHEMA);
    expect(db.prepare('SELECT count(*) AS n FROM things').get()).toEqual({ n: 0 });
    db.close();
  });
});
