import type { IncomingMessage, RequestOptions, ServerResponse } from 'node:http';
import * as api from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { ExpressLayerType } from '@opentelemetry/instrumentation-express';
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
import { LeanContextManager } from './context';
import { readSettings, type TelemetrySettings } from './settings';

/**
 * The instrumentations a service of ours needs; anything else only costs CPU (see docs/performance.md). Not
 * express: with its layer spans off, all it gave was http.route, which routeFromExpress gives for less.
 */
export const DEFAULT_INSTRUMENTATIONS = 'http,winston,runtime-node';

/**
 * Our defaults for standard variables, applied only where the environment sets nothing: the SDK builds the
 * exporters and batch processors from OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_BLRP_*, OTEL_METRIC_EXPORT_INTERVAL.
 * Batches: a batch export costs a request and a serialization pass of its own, so under load fewer, larger
 * batches cost less CPU per span (measured in docs/performance.md); the queues hold 4 batches, and logs wait up
 * to 5 s like spans (the SDK's 1 s meant an export request per second per service even at a trickle). Propagation:
 * W3C trace context only; nothing here uses baggage, whose extraction and injection every hop would pay
 * (OTEL_PROPAGATORS=tracecontext,baggage brings it back).
 */
export function envDefaults(settings: TelemetrySettings): Record<string, string> {
  return {
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: DEFAULT_INSTRUMENTATIONS,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_PROPAGATORS: 'tracecontext',
    OTEL_METRIC_EXPORT_INTERVAL: String(settings.metricExportIntervalMs),
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
    OTEL_BSP_MAX_QUEUE_SIZE: '8192',
    OTEL_BLRP_SCHEDULE_DELAY: '5000',
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2048',
    OTEL_BLRP_MAX_QUEUE_SIZE: '8192',
  };
}

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

type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/**
 * http.route without instrumentation-express. When the response closes, the http instrumentation reads the route
 * from the request's RPC metadata to name the server span (`GET /list-products`) and to label
 * http.server.request.duration. Express has matched the route by the time the response finishes, which comes
 * just before: copy it from `req.route` then. No patched router, no wrapped layers; a route set by
 * instrumentation-express, where a user enables it, is left as it is.
 */
function routeFromExpress(response: ServerResponse) {
  const rpc = getRPCMetadata(api.context.active());
  if (rpc?.type !== RPCType.HTTP) return;
  response.once('finish', () => {
    const { route, baseUrl = '' } = response.req as RoutedRequest;
    if (rpc.route === undefined && typeof route?.path === 'string') rpc.route = baseUrl + route.path;
  });
}

function instrumentations(settings: TelemetrySettings) {
  // Only the instrumentations named in OTEL_NODE_ENABLED_INSTRUMENTATIONS are constructed (constructing one
  // patches its module); DEFAULT_INSTRUMENTATIONS unless the user chose another set.
  return getNodeAutoInstrumentations({
    '@opentelemetry/instrumentation-http': {
      ignoreIncomingRequestHook: (req: IncomingMessage) => req.url === '/health',
      ignoreOutgoingRequestHook: isOwnExport(settings),
      responseHook: (_span, response) => {
        // Called for the server's response and for a client's response alike: only the first has writeHead.
        if ('writeHead' in response) routeFromExpress(response);
      },
    },
    '@opentelemetry/instrumentation-runtime-node': {
      // The event loop delay is sampled by a timer of this period. The default, 10 ms, wakes an idle service
      // 100 times a second: about 8 ms of CPU per second per process here, most of what telemetry cost an idle
      // service (docs/performance.md). 100 ms still gives 100 samples per metric export interval.
      monitoringPrecision: 100,
    },
    '@opentelemetry/instrumentation-express': {
      // Off by default (routeFromExpress gives http.route). Where a user enables it: no layer spans at all;
      // middleware (json parser, helmet, ...), router and request handler spans add volume, not insight, and each
      // costs a span, a context and bound callbacks.
      ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
    },
  });
}

export function startTelemetry(overrides: TelemetryOverrides = {}, settings = readSettings()): Telemetry {
  for (const [key, value] of Object.entries(envDefaults(settings))) process.env[key] ||= value;
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    // Detected attributes (OTEL_RESOURCE_ATTRIBUTES, instance id, host) take precedence over these defaults.
    resource: resourceFromAttributes({
      'service.version': settings.serviceVersion,
      'deployment.environment.name': settings.environment,
    }),
    resourceDetectors: [envDetector, hostDetector, osDetector, serviceInstanceIdDetector],
    contextManager: new LeanContextManager(),
    // Undefined: the SDK builds batch processors and a periodic reader with OTLP exporters from the standard
    // variables (defaults above), to OTEL_EXPORTER_OTLP_ENDPOINT.
    spanProcessors: overrides.spanProcessors,
    metricReaders: overrides.metricReaders,
    logRecordProcessors: overrides.logRecordProcessors,
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
