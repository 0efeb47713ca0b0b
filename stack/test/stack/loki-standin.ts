// Stand-in for Loki's OTLP endpoint in the native stack test (Loki cannot be built here: its Go module carries
// replace directives). It accepts what the Collector's `otlp_http/loki` exporter sends to
// http://loki:3100/otlp/v1/logs (protobuf or JSON, gzip or not), keeps each record flattened, and serves them
// back at GET /standin/records for the test. It is named as what it is; Loki itself is proven only by
// `npm run test:e2e` against the compose stack.
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ExportLogsServiceRequest } from './otlp-logs-proto';

export interface CapturedLog {
  service: string;
  body: string;
  severity: string;
  traceId: string;
  spanId: string;
  resource: Record<string, string>;
}

type Any = { stringValue?: string; intValue?: unknown; boolValue?: boolean; doubleValue?: number };
type Kv = { key: string; value?: Any };
const text = (v?: Any) => (v ? String(v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? '') : '');
const hex = (b: unknown) => (typeof b === 'string' ? b.toLowerCase() : Buffer.from((b as Uint8Array) ?? []).toString('hex'));

function flatten(request: { resourceLogs?: { resource?: { attributes?: Kv[] }; scopeLogs?: { logRecords?: any[] }[] }[] }): CapturedLog[] {
  return (request.resourceLogs ?? []).flatMap((rl) => {
    const resource = Object.fromEntries((rl.resource?.attributes ?? []).map((a) => [a.key, text(a.value)]));
    return (rl.scopeLogs ?? []).flatMap((sl) =>
      (sl.logRecords ?? []).map((r) => ({
        service: resource['service.name'] ?? '',
        body: text(r.body),
        severity: r.severityText ?? '',
        traceId: hex(r.traceId),
        spanId: hex(r.spanId),
        resource,
      })),
    );
  });
}

export class LokiStandIn {
  readonly records: CapturedLog[] = [];
  requests = 0;
  private server?: Server;

  async start(host: string, port = 3100): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/standin/records') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.records));
        return;
      }
      if (req.method === 'GET' && req.url === '/ready') {
        res.writeHead(200).end('ready');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/otlp/v1/logs') {
          res.writeHead(404).end();
          return;
        }
        try {
          let body = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          const json = String(req.headers['content-type']).includes('json');
          const decoded = json
            ? JSON.parse(body.toString('utf8'))
            : ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(body), { longs: String, bytes: Array });
          this.records.push(...flatten(decoded));
          this.requests++;
          res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
        } catch (err) {
          res.writeHead(400).end(String(err));
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
