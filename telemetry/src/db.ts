import { basename } from 'node:path';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@ostack/telemetry/db');

export interface DbOperation {
  /** SQL verb, e.g. SELECT, UPDATE. */
  operation: string;
  /** The table. */
  collection: string;
  /** The parameterized statement (never with values). */
  query: string;
}

/**
 * No auto-instrumentation covers node:sqlite, so each statement gets a client span by hand, named and
 * attributed per the OpenTelemetry database semantic conventions. The span is not made the active one: a
 * node:sqlite statement is synchronous and starts nothing beneath it, and entering a context for it would cost
 * about as much again as the span itself (docs/performance.md).
 */
export function withDbSpanFor(databasePath: string) {
  const namespace = basename(databasePath);
  return function withDbSpan<T>(op: DbOperation, run: () => T): T {
    const span = tracer.startSpan(`${op.operation} ${op.collection}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'sqlite',
        'db.namespace': namespace,
        'db.operation.name': op.operation,
        'db.collection.name': op.collection,
        'db.query.text': op.query,
      },
    });
    try {
      return run();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  };
}

export type WithDbSpan = ReturnType<typeof withDbSpanFor>;
