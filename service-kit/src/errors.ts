import type { ErrorRequestHandler, RequestHandler } from 'express';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger } from '@ostack/telemetry';
import { DatabaseUnavailable } from './database';

/** An error with its HTTP status and a stable machine-readable code: `{error: {code, message}}` on the wire. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFoundRoute: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'route_not_found', `no route for ${req.method} ${req.path}`));

// body-parser's own errors carry a 4xx `status` and a `type`: they are the client's mistakes, not ours.
const parserCodes: Record<string, string> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_encoding',
  'charset.unsupported': 'unsupported_charset',
  'request.aborted': 'request_aborted',
  'request.size.invalid': 'invalid_request_size',
};

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // The database out of reach is a moment, not a bug: 503, the client may retry.
  if (err instanceof DatabaseUnavailable) return new ApiError(503, 'database_unavailable', err.message);
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, parserCodes[e.type ?? ''] ?? 'bad_request', e.message ?? 'bad request');
  }
  return new ApiError(500, 'internal_error', 'internal server error');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500) {
      // The server span (captured by the app frame) carries the exception, so the trace shows why it failed.
      const span = res.locals.serverSpan as Span | undefined;
      span?.recordException(err as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      logger.error('request failed', { error: (err as Error)?.message, stack: (err as Error)?.stack, path: req.path });
    }
    if (res.headersSent) return;
    res.status(apiError.status).json({
      error: { code: apiError.code, message: apiError.message, ...(apiError.details ?? {}) },
    });
  };
}
