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

/** A minimal OTLP/HTTP JSON receiver (what the Collector's receiver accepts), recording each request body. */
export class OtlpReceiver {
  readonly received: Record<'traces' | 'metrics' | 'logs', unknown[]> = { traces: [], metrics: [], logs: [] };
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const signal = req.url?.match(/^\/v1\/(traces|metrics|logs)$/)?.[1] as
          keyof OtlpReceiver['received'] | undefined;
        if (!signal || !String(req.headers['content-type']).includes('json')) {
          res.writeHead(415).end();
          return;
        }
        this.received[signal].push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  resources(signal: 'traces' | 'metrics' | 'logs'): ResourceBlock[] {
    const key = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' }[signal];
    return this.received[signal].flatMap((body) => (body as Record<string, ResourceBlock[]>)[key] ?? []);
  }
}

export function attr(attrs: KeyValue[] | undefined, key: string): string | number | boolean | undefined {
  const v = attrs?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
}
