// The OpenTelemetry Node SDK with auto-instrumentation, set up as the OpenTelemetry docs do. What differs from
// the docs' defaults is each in a module of its own, named for what it does, with where it was measured
// (docs/performance.md): env-defaults.ts, batch-settings.ts, lean-context-manager.ts, route-from-express.ts.
import type { IncomingMessage } from 'node:http';
import { diag } from '@opentelemetry/api';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import {
  envDetector,
  hostDetector,
  osDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { applyEnvDefaults } from './env-defaults';
import { LeanContextManager } from './lean-context-manager';
import { isOwnExport } from './own-exports';
import { expressWithoutLayerSpans, routeFromExpress } from './route-from-express';
import { readSettings, type TelemetrySettings } from './settings';
import { bridgeWinstonTransport } from './winston-bridge';

export interface TelemetryOverrides {
  /** Tests pass in-memory processors/readers; production uses OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT. */
  spanProcessors?: SpanProcessor[];
  metricReaders?: IMetricReader[];
  logRecordProcessors?: LogRecordProcessor[];
}

export interface Telemetry {
  settings: TelemetrySettings;
  /** Flushes and stops every provider; never takes longer than settings.shutdownTimeoutMs. */
  shutdown(): Promise<void>;
}

export function startTelemetry(overrides: TelemetryOverrides = {}, settings = readSettings()): Telemetry {
  // Exporters, batch processors and propagators come from the standard OTEL_* variables; ours fill the gaps.
  applyEnvDefaults(settings);
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    // Detected attributes (OTEL_RESOURCE_ATTRIBUTES, instance id, host) take precedence over these defaults.
    resource: resourceFromAttributes({
      'service.version': settings.serviceVersion,
      'deployment.environment.name': settings.environment,
    }),
    resourceDetectors: [envDetector, hostDetector, osDetector, serviceInstanceIdDetector],
    contextManager: new LeanContextManager(),
    // Undefined unless a test passes its own: the SDK then builds OTLP exporters from the environment.
    spanProcessors: overrides.spanProcessors,
    metricReaders: overrides.metricReaders,
    logRecordProcessors: overrides.logRecordProcessors,
    // Only those named in OTEL_NODE_ENABLED_INSTRUMENTATIONS are constructed (constructing one patches its module).
    instrumentations: getNodeAutoInstrumentations({
      '@opentelemetry/instrumentation-http': {
        // Liveness and readiness probes: every few seconds from an orchestrator, nothing to trace.
        ignoreIncomingRequestHook: (req: IncomingMessage) => req.url === '/health' || req.url === '/ready',
        ignoreOutgoingRequestHook: isOwnExport(settings.otlpEndpoint),
        responseHook: routeFromExpress,
      },
      '@opentelemetry/instrumentation-runtime-node': {
        // Event loop delay sampled every 100 ms, not 10: the default timer woke an idle service 100 times a
        // second (what that cost idle: docs/performance.md).
        monitoringPrecision: 100,
      },
      '@opentelemetry/instrumentation-express': expressWithoutLayerSpans,
      // Only queries made for a traced request (or the reconciler's run): the readiness probe, the stock gauge's
      // reads and the reconciler's empty polls would otherwise each make a root trace every few seconds.
      '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
    }),
  });
  sdk.start();
  bridgeWinstonTransport();

  let stopping: Promise<void> | undefined;
  return {
    settings,
    shutdown() {
      // Bounded: a Collector that never answers must not hold a stopping service.
      stopping ??= Promise.race([
        sdk.shutdown().catch((err: unknown) => diag.warn('telemetry shutdown failed', err)),
        new Promise<void>((resolve) => setTimeout(resolve, settings.shutdownTimeoutMs).unref()),
      ]);
      return stopping;
    },
  };
}

export { readSettings } from './settings';
