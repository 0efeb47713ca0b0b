// The app frame under the real bootstrap: startTelemetry with in-memory exporters, then service-kit, express and
// winston loaded through Node's own require after it (as `--require` has them in production).
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type * as TelemetryModule from '@ostack/telemetry';
import type * as SdkModule from '@ostack/telemetry/sdk';
import { listen, type Listening } from '@ostack/test-support/net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ServiceKit from '../src/index';

const require = createRequire(__filename);
const spans = new InMemorySpanExporter();
const logs = new InMemoryLogRecordExporter();
const { startTelemetry, readSettings } = require('@ostack/telemetry/sdk') as typeof SdkModule;
process.env.OTEL_METRICS_EXPORTER = 'none'; // the SDK would otherwise export metrics to a Collector on localhost
const telemetry = startTelemetry(
  {
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })],
  },
  readSettings({ OTEL_SERVICE_NAME: 'service-kit-test' }, ''),
);

// Loaded only now, so that the instrumentations patch express's http server and winston.
const express = require('express') as typeof import('express');
const { ApiError, createApp } = require('@ostack/service-kit') as typeof ServiceKit;
const logger = (require('@ostack/telemetry') as typeof TelemetryModule).createLogger('service-kit-test', 'info');

let http: Listening;

beforeAll(async () => {
  const routes = express.Router();
  routes.get('/ok', (_req, res) => void res.json({ ok: true }));
  routes.get('/refused', () => {
    throw new ApiError(409, 'refused', 'not now');
  });
  routes.get('/boom', () => {
    throw new Error('it broke');
  });
  http = await listen(createApp({ logger, routes }));
});
afterAll(async () => {
  await http.close();
  await telemetry.shutdown();
});

const serverSpan = (path: string) =>
  spans.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === path)!;

describe('the app frame, instrumented', () => {
  it("a request's access log line carries its trace and span id, at info, warn or error by status", async () => {
    for (const path of ['/ok', '/refused', '/boom']) await fetch(`${http.url}${path}`);
    const access = (message: string) => logs.getFinishedLogRecords().find((r) => r.body === message)!;
    for (const [message, path, level] of [
      ['GET /ok 200', '/ok', 'info'],
      ['GET /refused 409', '/refused', 'warn'],
      ['GET /boom 500', '/boom', 'error'],
    ] as const) {
      const { traceId, spanId } = serverSpan(path).spanContext();
      expect(access(message).severityText, message).toBe(level);
      expect(access(message).spanContext, message).toMatchObject({ traceId, spanId });
    }
  });

  it('a 5xx marks the server span as an error, with the exception recorded; a 4xx does not', async () => {
    await fetch(`${http.url}/boom`);
    await fetch(`${http.url}/refused`);
    const boom = serverSpan('/boom');
    expect(boom.status.code).toBe(SpanStatusCode.ERROR);
    expect(boom.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('it broke');
    const refused = serverSpan('/refused');
    expect(refused.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(refused.events).toEqual([]);
  });
});
