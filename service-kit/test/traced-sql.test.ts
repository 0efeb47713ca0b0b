import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openDatabase, TracedSql } from '../src/index';

/** A real database that counts the statements prepared on it. */
class CountingDatabase extends DatabaseSync {
  readonly prepares: string[] = [];
  override prepare(sql: string) {
    this.prepares.push(sql);
    return super.prepare(sql);
  }
}

const SCHEMA = 'CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);';
const insert = { operation: 'INSERT', collection: 'things', query: 'INSERT INTO things (name) VALUES (?)' };
const byName = { operation: 'SELECT', collection: 'things', query: 'SELECT id, name FROM things WHERE name = ?' };
const names = { operation: 'SELECT', collection: 'things', query: 'SELECT name FROM things ORDER BY id' };

function database(): CountingDatabase {
  const db = new CountingDatabase(':memory:');
  db.exec(SCHEMA);
  return db;
}

describe('TracedSql', () => {
  it('prepares each SQL text once per database, however often it runs', () => {
    const db = database();
    const sql = new TracedSql(db, ':memory:');
    for (const name of ['a', 'b', 'c']) sql.run(insert, name);
    expect(sql.get(byName, 'b')).toEqual({ id: 2, name: 'b' });
    expect(sql.get(byName, 'c')).toEqual({ id: 3, name: 'c' });
    expect(sql.all(names)).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(db.prepares).toEqual([insert.query, byName.query, names.query]);

    // Another database prepares its own.
    const other = database();
    new TracedSql(other, ':memory:').run(insert, 'x');
    expect(other.prepares).toEqual([insert.query]);
    db.close();
    other.close();
  });

  it('a reused statement starts afresh: after a failed run, and after a read that stopped at its first row', () => {
    const sql = new TracedSql(openDatabase(':memory:', SCHEMA), ':memory:');
    sql.run(insert, 'a');
    expect(() => sql.run(insert, 'a')).toThrow(/UNIQUE/);
    expect(sql.run(insert, 'b').changes).toBe(1);
    expect(sql.get(names)).toEqual({ name: 'a' });
    expect(sql.get(names)).toEqual({ name: 'a' });
    expect(sql.all(names)).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('once the database is closed, says so (not that a cached statement was finalized)', () => {
    const db = openDatabase(':memory:', SCHEMA);
    const sql = new TracedSql(db, ':memory:');
    sql.run(insert, 'a');
    db.close();
    expect(() => sql.run(insert, 'b')).toThrow(/database is not open/);
  });
});
