// The bounded flush on the way out: a span processor that never finishes (a stand-in for an exporter stuck on a
// Collector that never answers) holds shutdown() no longer than OSTACK_TELEMETRY_SHUTDOWN_TIMEOUT_MS.
import { createRequire } from 'node:module';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type * as SdkModule from '../src/sdk';

const require = createRequire(__filename);
const { startTelemetry, readSettings } = require('@ostack/telemetry/sdk') as typeof SdkModule;
// Only the stuck span processor: no metrics or logs exported to a Collector that may run on localhost.
process.env.OTEL_METRICS_EXPORTER = 'none';
process.env.OTEL_LOGS_EXPORTER = 'none';

const never = () => new Promise<void>(() => {});
const stuck: SpanProcessor = { onStart() {}, onEnd() {}, forceFlush: never, shutdown: never };

describe('shutdown()', () => {
  it('returns within the bound even when an export never finishes, and only once', async () => {
    const telemetry = startTelemetry(
      { spanProcessors: [stuck] },
      readSettings({ OTEL_SERVICE_NAME: 'shutdown-test', OSTACK_TELEMETRY_SHUTDOWN_TIMEOUT_MS: '300' }, ''),
    );
    const t0 = performance.now();
    const first = telemetry.shutdown();
    expect(telemetry.shutdown()).toBe(first);
    await first;
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });
});
