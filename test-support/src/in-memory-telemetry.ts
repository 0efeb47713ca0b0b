// The bootstrap's SDK options for in-process tests: every span and log record kept in memory, metrics collected
// only when a test asks (reader.collect()), never on a timer.
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

class OnDemandReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

export function inMemoryTelemetry() {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const reader = new OnDemandReader();
  return {
    spans,
    logs,
    reader,
    /** For startTelemetry's first argument. */
    sdkOptions: {
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
      metricReaders: [reader],
      logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })],
    },
  };
}
