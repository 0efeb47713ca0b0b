import type { DatabaseSync, SQLInputValue, StatementResultingChanges, StatementSync } from 'node:sqlite';
import { withDbSpanFor, type DbOperation, type WithDbSpan } from '@ostack/telemetry';

/**
 * A store's statements, each call in its own database client span (`SELECT orders`, ...). Each SQL text is
 * prepared once for the database, inside the span of its first call, and reused after: node:sqlite resets a
 * statement before each run, so a reused one starts afresh, and a store's statements are a fixed few.
 */
export class TracedSql {
  private readonly withSpan: WithDbSpan;
  private readonly prepared = new Map<string, StatementSync>();

  constructor(
    private readonly db: DatabaseSync,
    databasePath: string,
  ) {
    this.withSpan = withDbSpanFor(databasePath);
  }

  /** The first row the statement returns, if any. */
  get<Row>(statement: DbOperation, ...params: SQLInputValue[]): Row | undefined {
    return this.withSpan(statement, () => this.statement(statement.query).get(...params)) as Row | undefined;
  }

  all<Row>(statement: DbOperation, ...params: SQLInputValue[]): Row[] {
    return this.withSpan(statement, () => this.statement(statement.query).all(...params)) as Row[];
  }

  run(statement: DbOperation, ...params: SQLInputValue[]): StatementResultingChanges {
    return this.withSpan(statement, () => this.statement(statement.query).run(...params));
  }

  private statement(sql: string): StatementSync {
    // Closing a database finalizes its statements: then prepare, which says why ("database is not open").
    let prepared = this.db.isOpen ? this.prepared.get(sql) : undefined;
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.prepared.set(sql, prepared);
    }
    return prepared;
  }
}
