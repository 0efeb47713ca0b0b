import type { DatabaseSync, SQLInputValue, StatementResultingChanges } from 'node:sqlite';
import { withDbSpanFor, type DbOperation, type WithDbSpan } from '@ostack/telemetry';

/**
 * A store's statements, each call in its own database client span (`SELECT orders`, ...). The statement is
 * prepared inside the span on every call.
 */
export class TracedSql {
  private readonly withSpan: WithDbSpan;

  constructor(
    private readonly db: DatabaseSync,
    databasePath: string,
  ) {
    this.withSpan = withDbSpanFor(databasePath);
  }

  /** The first row the statement returns, if any. */
  get<Row>(statement: DbOperation, ...params: SQLInputValue[]): Row | undefined {
    return this.withSpan(statement, () => this.db.prepare(statement.query).get(...params)) as Row | undefined;
  }

  all<Row>(statement: DbOperation, ...params: SQLInputValue[]): Row[] {
    return this.withSpan(statement, () => this.db.prepare(statement.query).all(...params)) as Row[];
  }

  run(statement: DbOperation, ...params: SQLInputValue[]): StatementResultingChanges {
    return this.withSpan(statement, () => this.db.prepare(statement.query).run(...params));
  }
}
