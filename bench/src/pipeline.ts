// What one span and one log record cost in the SDK's own pipeline, in-process and without HTTP hooks: made and
// ended, then batched, serialized and sent to the real Collector, as the services do; CPU time of this process
// (process.cpuUsage: every thread, GC and the export requests included) divided by the items. It answers "what
// does a span cost" apart from the instrumentations that make them (docs/performance.md).
//   npm run pipeline -w @ostack/bench                        (BENCH_PIPELINE_ITEMS, default 40000)
import { SpanKind } from '@opentelemetry/api';
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as TracesJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TracesProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from './collector.ts';

type Encoding = 'none' | 'json' | 'protobuf';
const ITEMS = Number(process.env.BENCH_PIPELINE_ITEMS) || 40_000;
// The batch settings of the bootstrap's defaults (telemetry/src/batch-settings.ts).
const BATCH = { maxExportBatchSize: 2048, maxQueueSize: 8192 };

// An http server span as instrumentation-http makes it: 12 attributes.
const serverSpanAttributes = () => ({
  'http.request.method': 'GET',
  'url.scheme': 'http',
  'url.path': '/list-products',
  'server.address': 'inventory-service',
  'server.port': 8010,
  'network.peer.address': '127.0.0.1',
  'network.peer.port': 45678,
  'client.address': '127.0.0.1',
  'user_agent.original': 'axios/1.13.2',
  'network.protocol.version': '1.1',
  'http.response.status_code': 200,
  'http.route': '/list-products',
});

// An access log line as the winston transport hands it over.
const accessLogAttributes = () => ({
  'http.request.method': 'GET',
  'http.route': '/list-products',
  'url.path': '/list-products',
  'http.response.status_code': 200,
  duration_ms: 1.234,
  service: 'inventory-service',
  trace_id: '5b8efff798038103d269b633813fc60c',
  span_id: 'eee19b7ec3c1b174',
  trace_flags: '01',
});

const yieldNow = () => new Promise((resolve) => setImmediate(resolve));

/** The exporter of an encoding (none: no processor at all), to the Collector's path for the signal. */
function exporterFor<E>(
  encoding: Encoding,
  url: string,
  json: new (c: { url: string }) => E,
  protobuf: new (c: { url: string }) => E,
) {
  return encoding === 'none' ? undefined : new (encoding === 'json' ? json : protobuf)({ url });
}

/** Makes ITEMS items through a provider, flushes and shuts it down: CPU µs per item. */
async function measured(provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> }, make: () => void) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < ITEMS; i++) {
    make();
    if (i % 500 === 499) await yieldNow(); // let the batch processor's timers and exports run, as a server would
  }
  await provider.forceFlush();
  const used = process.cpuUsage(t0);
  await provider.shutdown();
  return (used.user + used.system) / ITEMS;
}

async function spans(encoding: Encoding, endpoint: string): Promise<number> {
  const exporter = exporterFor(encoding, `${endpoint}/v1/traces`, TracesJson, TracesProto);
  const provider = new TracerProvider({
    spanProcessors: exporter ? [new BatchSpanProcessor({ exporter, ...BATCH })] : [],
  });
  const tracer = provider.getTracer('bench');
  return measured(provider, () => {
    const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: serverSpanAttributes() });
    span.updateName('GET /list-products');
    span.end();
  });
}

async function logs(encoding: Encoding, endpoint: string): Promise<number> {
  const exporter = exporterFor(encoding, `${endpoint}/v1/logs`, LogsJson, LogsProto);
  const provider = new LoggerProvider({
    processors: exporter ? [new BatchLogRecordProcessor({ exporter, ...BATCH })] : [],
  });
  const logger = provider.getLogger('bench');
  return measured(provider, () =>
    logger.emit({
      severityNumber: 9,
      severityText: 'info',
      body: 'GET /list-products 200',
      attributes: accessLogAttributes(),
    }),
  );
}

async function main(): Promise<void> {
  const collector = await startCollector(mkdtempSync(join(tmpdir(), 'ostack-pipeline-')));
  try {
    console.log(
      `CPU µs per item, ${ITEMS} items each, batches of ${BATCH.maxExportBatchSize}, ` +
        `Collector at ${collector.endpoint}`,
    );
    console.log('| item | made and ended, no export | + export, OTLP/HTTP JSON | + export, OTLP/HTTP protobuf |');
    console.log('| --- | ---: | ---: | ---: |');
    // Each measurement twice, in ABBA order, the first round also warming the code up; the second is printed.
    const run = async (what: typeof spans) => {
      const order: Encoding[] = ['none', 'json', 'protobuf'];
      const result: Partial<Record<Encoding, number>> = {};
      for (const e of order) await what(e, collector.endpoint);
      for (const e of [...order].reverse()) result[e] = await what(e, collector.endpoint);
      return result;
    };
    const s = await run(spans);
    console.log(
      `| server span, 12 attributes | ${s.none!.toFixed(1)} | ${s.json!.toFixed(1)} | ${s.protobuf!.toFixed(1)} |`,
    );
    const l = await run(logs);
    console.log(
      `| access log record, 9 attributes | ${l.none!.toFixed(1)} | ${l.json!.toFixed(1)} | ${l.protobuf!.toFixed(1)} |`,
    );
  } finally {
    await collector.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
