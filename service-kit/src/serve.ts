import { createServer, type ServerResponse, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
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

/** The `{error: {code, message}}` body of the requests Node itself refuses, by the parser's error code. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'request not received in time'],
};

function jsonError(status: number, code: string, message: string): [string, string] {
  return [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, JSON.stringify({ error: { code, message } })];
}

/**
 * A request Node's parser refuses (malformed, headers over 16 KB, too slow) never reaches express: answer it
 * with the same JSON error body as every other 4xx instead of Node's bare status line, then close.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's own handler: write nothing once a response to this connection has started.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'malformed_request', 'malformed HTTP request'];
  const [statusLine, body] = jsonError(status, code, message);
  const head = [
    statusLine,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

/** Listens, and on SIGTERM/SIGINT stops accepting, drains, flushes telemetry (bounded) and exits 0. */
export function serve(
  app: Express,
  { port, host, logger, onClose, drainTimeoutMs = 10_000 }: ServeOptions,
): Promise<Server> {
  const server = createServer(
    {
      // Bound slow clients: a request must arrive within 10 s, headers within 5 s. Node enforces both only when
      // it checks its connections (every 30 s by default), so check every second: a slow-loris client that
      // never finishes its headers is cut off after 5-6 s, not 30-35 s.
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  server.on('clientError', answerClientError);
  server.on('checkExpectation', (_req, res: ServerResponse) => {
    // An `Expect` other than 100-continue: Node would answer a bare 417.
    const [, body] = jsonError(417, 'expectation_failed', 'only "Expect: 100-continue" is supported');
    res
      .writeHead(417, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      })
      .end(body);
  });
  if (host) server.listen(port, host);
  else server.listen(port);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => server.closeAllConnections(), drainTimeoutMs).unref();
    const closed = async () => {
      clearTimeout(force);
      // Telemetry first: its last collection still reads the stores (e.g. the stock gauge).
      await shutdownTelemetry();
      try {
        await onClose?.();
      } catch (err) {
        logger.error('error while closing', { error: (err as Error).message });
      }
      process.exit(0);
    };
    server.close(() => void closed());
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
