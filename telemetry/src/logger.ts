import winston from 'winston';

export type Logger = winston.Logger;

/**
 * JSON lines on stdout. While the bootstrap is loaded, instrumentation-winston adds trace_id/span_id to every
 * record written inside a span and sends each record over OTLP as well (through @opentelemetry/winston-transport).
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL || 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
