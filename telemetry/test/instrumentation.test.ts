// The bootstrap in-process: startTelemetry with in-memory exporters, then express, http and winston loaded
// through Node's own require after it, as `--require` has them in production (vitest's own imports bypass the
// instrumentations' require hooks). An Express app of a few routes stands in for a service.
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { propagation, SpanKind } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { inMemoryTelemetry } from '@ostack/test-support/in-memory-telemetry';
import { freePort } from '@ostack/test-support/net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as TelemetryModule from '../src/index';
import type * as SdkModule from '../src/sdk';

const require = createRequire(__filename);
const { spans, logs, reader, sdkOptions } = inMemoryTelemetry();
const { startTelemetry, readSettings } = require('@ostack/telemetry/sdk') as typeof SdkModule;
let telemetry: SdkModule.Telemetry;
let http: typeof import('node:http');
let express: typeof import('express');
let server: Server;
let collector: Server;
let port: number;
let collectorPort: number;

const listenOn = (s: Server, p = 0) =>
  new Promise<number>((resolve) => s.listen(p, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
const close = (s: Server) => new Promise((resolve) => s.close(resolve));

beforeAll(async () => {
  // The Collector's address must be known before the SDK starts: its own exports are told apart by it.
  collectorPort = await freePort();
  telemetry = startTelemetry(
    sdkOptions,
    readSettings(
      {
        OTEL_SERVICE_NAME: 'instrumented-test',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      },
      join(__dirname, 'fixtures', 'demo-service', 'lib', 'main.js'),
    ),
  );
  // Loaded only now, so that the instrumentations patch them.
  express = require('express') as typeof import('express');
  http = require('node:http') as typeof import('node:http');
  const { createLogger } = require('@ostack/telemetry') as typeof TelemetryModule;
  const logger = createLogger('instrumented-test', 'info');

  const app = express();
  app.use((req, res, next) => {
    // Listeners of the request and the response, as the access log and body parsing add them.
    req.on('end', () => logger.info('request read'));
    res.on('finish', () => logger.info('response finished'));
    next();
  });
  app.get('/health', (_req, res) => void res.send('ok'));
  app.get('/items/:id', (req, res) => {
    logger.info('item served', { id: req.params.id });
    res.json({ id: req.params.id });
  });
  const api = express.Router();
  api.get('/things/:name', (req, res) => void res.json({ name: req.params.name }));
  app.use('/api', api);
  app.post('/echo', express.json(), (req, res) => {
    logger.info('echo handled');
    res.json(req.body);
  });

  server = http.createServer(app);
  port = await listenOn(server);
  // Stands in for the Collector at OTEL_EXPORTER_OTLP_ENDPOINT.
  collector = http.createServer((req, res) => req.resume().on('end', () => res.end('{}')));
  await listenOn(collector, collectorPort);
});
beforeEach(() => {
  spans.reset();
  logs.reset();
});
afterAll(async () => {
  server.closeAllConnections();
  await Promise.all([close(server), close(collector)]);
  await telemetry.shutdown();
});

/** A request through the instrumented http client (so it is traced as an outgoing request). */
function request(
  path: string,
  { to = port, method = 'GET', headers = {} }: { to?: number; method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: to, path, method, headers }, (res) => {
      res.resume().on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject).end();
  });
}

const serverSpans = () => spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
const clientSpans = () => spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
const serverSpan = (path: string): ReadableSpan => serverSpans().find((s) => s.attributes['url.path'] === path)!;

describe('http.route without instrumentation-express (route-from-express.ts)', () => {
  it('names the server span after the route Express matched, mounted routers included', async () => {
    await request('/items/7');
    await request('/api/things/lamp');
    expect(serverSpan('/items/7').name).toBe('GET /items/:id');
    expect(serverSpan('/items/7').attributes['http.route']).toBe('/items/:id');
    expect(serverSpan('/api/things/lamp').attributes['http.route']).toBe('/api/things/:name');
  });

  it('an unmatched path has no route; express is not patched at all', async () => {
    expect((await request('/no-such-route')).status).toBe(404);
    expect(serverSpan('/no-such-route').name).toBe('GET');
    expect(serverSpan('/no-such-route').attributes['http.route']).toBeUndefined();
    const router = express.Router as unknown as { prototype: { use: { __wrapped?: boolean } } };
    expect(router.prototype.use).toBeTypeOf('function');
    expect(router.prototype.use.__wrapped).toBeUndefined(); // what instrumentation-express would have wrapped
  });

  it('labels http.server.request.duration with it', async () => {
    await request('/items/8');
    const { resourceMetrics } = await reader.collect();
    const duration = metric(resourceMetrics, 'http.server.request.duration');
    expect(duration?.dataPoints.map((p) => p.attributes['http.route'])).toContain('/items/:id');
  });
});

describe('what is traced', () => {
  it('not /health', async () => {
    await request('/health');
    await request('/items/1');
    expect(serverSpans().map((s) => s.attributes['url.path'])).toEqual(['/items/1']);
  });

  it("not the exporters' own requests to the Collector (own-exports.ts); other outgoing requests are", async () => {
    await request('/v1/traces', { to: collectorPort, method: 'POST' });
    await request('/items/2');
    expect(clientSpans().map((s) => s.attributes['server.port'])).toEqual([port]);
  });

  it('W3C trace context only (env-defaults.ts): a traceparent is continued, baggage not read', async () => {
    expect(propagation.fields()).toEqual(['traceparent', 'tracestate']);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    // fetch (undici) is not instrumented here: the traceparent arrives as sent.
    const headers = { traceparent: `00-${traceId}-b7ad6b7169203331-01`, baggage: 'a=b' };
    expect((await fetch(`http://127.0.0.1:${port}/items/3`, { headers })).status).toBe(200);
    const span = serverSpan('/items/3');
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });
});

describe('logs (winston-bridge.ts, lean-context-manager.ts)', () => {
  it("records written while serving go out over OTLP with the server span's trace id and span id", async () => {
    await request('/items/4');
    const record = logs.getFinishedLogRecords().find((r) => r.body === 'item served')!;
    const span = serverSpan('/items/4').spanContext();
    expect(record.spanContext).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
    expect(record.attributes).toMatchObject({ id: '4' });
  });

  it("a body arriving after its headers: its listeners and the handler run in the request's context", async () => {
    const body = '{"late": true}';
    const status = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        setTimeout(() => socket.end(body), 100);
      });
      socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0]!));
    });
    expect(status).toBe('HTTP/1.1 200 OK');
    // Without the emitter binding of lean-context-manager.ts, 'request read' would carry no span.
    const { spanId } = serverSpan('/echo').spanContext();
    for (const body of ['request read', 'echo handled', 'response finished']) {
      const record = logs.getFinishedLogRecords().find((r) => r.body === body);
      expect(record?.spanContext?.spanId, body).toBe(spanId);
    }
  });
});

describe('resource and runtime metrics', () => {
  it('the resource names the service, its version (from its package), the environment and the instance', async () => {
    await request('/items/5');
    const { attributes } = serverSpan('/items/5').resource;
    expect(attributes).toMatchObject({
      'service.name': 'instrumented-test',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
    });
    expect(attributes['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('Node runtime metrics (event loop, V8) are collected', async () => {
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names.some((n) => n.startsWith('nodejs.eventloop'))).toBe(true);
    expect(names.some((n) => n.startsWith('v8js.'))).toBe(true);
  });
});

function metric(collected: ResourceMetrics, name: string) {
  return collected.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}
