import type { RequestHandler } from 'express';
import { trace } from '@opentelemetry/api';
import type { Logger } from '@ostack/telemetry';

/**
 * One log line per request, written when the response is finished. The http instrumentation binds the
 * response to the request's context, so the line carries the request's trace_id and span_id.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.locals.serverSpan = trace.getActiveSpan();
    res.on('finish', () => {
      const status = res.statusCode;
      const route = req.route as { path: unknown } | undefined; // express types it `any`
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      logger.log(level, `${req.method} ${req.originalUrl.split('?')[0]} ${status}`, {
        'http.request.method': req.method,
        'http.route': route ? `${req.baseUrl}${String(route.path)}` : undefined,
        'url.path': req.path,
        'http.response.status_code': status,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}
