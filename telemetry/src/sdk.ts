import type { IncomingMessage, RequestOptions } from 'node:http';
import * as api from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressLayerType } from '@opentelemetry/instrumentation-express';
import {
  envDetector,
  hostDetector,
  osDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { readSettings, type TelemetrySettings } from './settings';

/** The instrumentations a service of ours needs; anything else only costs CPU (see docs/performance.md). */
export const DEFAULT_INSTRUMENTATIONS = 'http,express,winston,runtime-node';

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

function isOwnExport(settings: TelemetrySettings) {
  const otlp = new URL(settings.otlpEndpoint);
  const port = otlp.port || (otlp.protocol === 'https:' ? '443' : '80');
  // The exporters' own POSTs would otherwise show up as client spans and client metrics.
  return (req: RequestOptions) =>
    (req.hostname ?? req.host ?? '').toString().replace(/:\d+$/, '') === otlp.hostname &&
    String(req.port ?? port) === port;
}

function instrumentations(settings: TelemetrySettings) {
  // Only the instrumentations named are constructed (constructing one patches its module), and the standard
  // variable still lets a user choose another set.
  process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ||= DEFAULT_INSTRUMENTATIONS;
  return getNodeAutoInstrumentations({
    '@opentelemetry/instrumentation-http': {
      ignoreIncomingRequestHook: (req: IncomingMessage) => req.url === '/health',
      ignoreOutgoingRequestHook: isOwnExport(settings),
    },
    '@opentelemetry/instrumentation-express': {
      // Middleware layer spans (json parser, helmet, ...) add volume, not insight; route handlers stay.
      ignoreLayersType: [ExpressLayerType.MIDDLEWARE],
    },
  });
}

export function startTelemetry(overrides: TelemetryOverrides = {}, settings = readSettings()): Telemetry {
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    // Detected attributes (OTEL_RESOURCE_ATTRIBUTES, instance id, host) take precedence over these defaults.
    resource: resourceFromAttributes({
      'service.version': settings.serviceVersion,
      'deployment.environment.name': settings.environment,
    }),
    resourceDetectors: [envDetector, hostDetector, osDetector, serviceInstanceIdDetector],
    spanProcessors: overrides.spanProcessors ?? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
    metricReaders: overrides.metricReaders ?? [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: settings.metricExportIntervalMs,
      }),
    ],
    logRecordProcessors: overrides.logRecordProcessors ?? [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })],
    instrumentations: instrumentations(settings),
  });
  sdk.start();
  // @opentelemetry/winston-transport 0.34 still logs through the api-logs 0.223 global, while NodeSDK 0.301
  // registers its LoggerProvider in @opentelemetry/api 1.10: hand it over, or winston records never leave.
  // Remove once the transport moves to @opentelemetry/api.
  legacyLogs.setGlobalLoggerProvider(api.logs.getLoggerProvider() as unknown as Parameters<
    typeof legacyLogs.setGlobalLoggerProvider
  >[0]);

  let stopping: Promise<void> | undefined;
  return {
    settings,
    shutdown() {
      stopping ??= Promise.race([
        sdk.shutdown().catch((err: unknown) => api.diag.warn('telemetry shutdown failed', err)),
        new Promise<void>((resolve) => setTimeout(resolve, settings.shutdownTimeoutMs).unref()),
      ]);
      return stopping;
    },
  };
}

export { readSettings } from './settings';
