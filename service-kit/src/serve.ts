import type { Server } from 'node:http';
import type { Express } from 'express';
import { type Logger, shutdownTelemetry } from '@ostack/telemetry';

export interface ServeOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Runs once in-flight requests finished and telemetry is flushed (close databases, timers). */
  onClose?: () => void | Promise<void>;
  /** How long in-flight requests may take to finish once a stop is asked for. */
  drainTimeoutMs?: number;
}

/** Listens, and on SIGTERM/SIGINT stops accepting, drains, flushes telemetry (bounded) and exits 0. */
export function serve(app: Express, { port, host, logger, onClose, drainTimeoutMs = 10_000 }: ServeOptions): Promise<Server> {
  const server = host ? app.listen(port, host) : app.listen(port);
  // Bound slow clients: a request must arrive within 10 s, headers within 5 s.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => server.closeAllConnections(), drainTimeoutMs).unref();
    server.close(async () => {
      clearTimeout(force);
      // Telemetry first: its last collection still reads the stores (e.g. the stock gauge).
      await shutdownTelemetry();
      try {
        await onClose?.();
      } catch (err) {
        logger.error('error while closing', { error: (err as Error).message });
      }
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      logger.info('listening', { port: typeof address === 'object' && address ? address.port : port });
      resolve(server);
    });
  });
}
