import { BATCH_SETTINGS } from './batch-settings';
import type { TelemetrySettings } from './settings';

/**
 * The instrumentations a service of ours needs; anything else only costs CPU. Not express: route-from-express.ts
 * gives http.route for less.
 */
export const DEFAULT_INSTRUMENTATIONS = 'http,winston,runtime-node';

/** A service on PostgreSQL (DATABASE_URL=postgres://…) gets instrumentation-pg too: its spans and pool metrics. */
export function defaultInstrumentations(env: NodeJS.ProcessEnv = process.env): string {
  return /^postgres(ql)?:\/\//.test(env.DATABASE_URL ?? '')
    ? `${DEFAULT_INSTRUMENTATIONS},pg`
    : DEFAULT_INSTRUMENTATIONS;
}

/**
 * Our defaults for standard variables, which the SDK reads to build its exporters, batch processors and
 * propagators. Each applies only where the environment sets nothing.
 */
export function envDefaults(settings: TelemetrySettings, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: defaultInstrumentations(env),
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // W3C trace context only: nothing here uses baggage, which every hop would extract and inject at a cost
    // (docs/performance.md). OTEL_PROPAGATORS=tracecontext,baggage brings it back.
    OTEL_PROPAGATORS: 'tracecontext',
    OTEL_METRIC_EXPORT_INTERVAL: String(settings.metricExportIntervalMs),
    ...BATCH_SETTINGS,
  };
}

export function applyEnvDefaults(settings: TelemetrySettings, env: NodeJS.ProcessEnv = process.env): void {
  for (const [key, value] of Object.entries(envDefaults(settings, env))) env[key] ||= value;
}
