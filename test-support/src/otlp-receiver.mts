import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface ResourceBlock {
  resource: { attributes: KeyValue[] };
}
type Signal = 'traces' | 'metrics' | 'logs';

/**
 * A minimal OTLP/HTTP JSON receiver on loopback (what the Collector's receiver accepts; the bootstrap's default
 * protocol is http/json): counts requests and bytes, and keeps each parsed body unless told not to (a soak).
 */
export class OtlpReceiver {
  readonly received: Record<Signal, unknown[]> = { traces: [], metrics: [], logs: [] };
  readonly requests: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0 };
  bytes = 0;
  private server?: Server;
  private readonly keepBodies: boolean;

  constructor({ keepBodies = true }: { keepBodies?: boolean } = {}) {
    this.keepBodies = keepBodies;
  }

  /** Listens on 127.0.0.1:`port` (0: an ephemeral one); resolves to its endpoint URL. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        this.bytes += c.length;
        if (this.keepBodies) chunks.push(c);
      });
      req.on('end', () => {
        const signal = req.url?.match(/^\/v1\/(traces|metrics|logs)$/)?.[1] as Signal | undefined;
        if (!signal || !String(req.headers['content-type']).includes('json')) {
          res.writeHead(415).end();
          return;
        }
        this.requests[signal]++;
        if (this.keepBodies) this.received[signal].push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops at once, open connections included (a Collector going down). */
  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  resources(signal: Signal): ResourceBlock[] {
    const key = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' }[signal];
    return this.received[signal].flatMap((body) => (body as Record<string, ResourceBlock[]>)[key] ?? []);
  }
}

export function attr(attrs: KeyValue[] | undefined, key: string): string | number | boolean | undefined {
  const v = attrs?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
}
