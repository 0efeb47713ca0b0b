import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the bootstrap needs to know before it builds anything, read from the standard OTEL_* variables. */
export interface TelemetrySettings {
  disabled: boolean;
  serviceName: string;
  serviceVersion: string;
  environment: string;
  otlpEndpoint: string;
  metricExportIntervalMs: number;
  shutdownTimeoutMs: number;
}

// Defaults come from the package.json of the directory the service is started in (its workspace),
// so `node --require @ostack/telemetry/register dist/main.js` needs no extra variables.
function packageDefaults(cwd: string): { name?: string; version?: string } {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: string; version?: string };
    return { name: pkg.name?.replace(/^@[^/]+\//, ''), version: pkg.version };
  } catch {
    return {};
  }
}

function resourceAttribute(env: NodeJS.ProcessEnv, key: string): string | undefined {
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const [k, ...v] = pair.split('=');
    if (k?.trim() === key) return decodeURIComponent(v.join('=').trim());
  }
  return undefined;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): TelemetrySettings {
  const pkg = packageDefaults(cwd);
  return {
    disabled: (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true',
    serviceName: env.OTEL_SERVICE_NAME || resourceAttribute(env, 'service.name') || pkg.name || 'unknown_service:node',
    serviceVersion: resourceAttribute(env, 'service.version') || pkg.version || '0.0.0',
    environment: resourceAttribute(env, 'deployment.environment.name') || 'demo',
    otlpEndpoint: (env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://localhost:4318').replace(/\/+$/, ''),
    // The spec's default is 60 s; a demo wants its dashboards to move within seconds.
    metricExportIntervalMs: positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 10_000),
    shutdownTimeoutMs: positiveInt(env.OSTACK_TELEMETRY_SHUTDOWN_TIMEOUT_MS, 5_000),
  };
}
