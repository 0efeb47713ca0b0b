import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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

/**
 * service.name and service.version default to the package of the script being run: its nearest package.json
 * with a name, so `node --require @ostack/telemetry/register dist/main.js` needs no extra variables. Not the
 * working directory's: started from the repo root, that is the workspace root (`ostack`), not the service.
 */
function packageOf(script: string | undefined): { name?: string; version?: string } {
  if (!script) return {};
  for (let dir = dirname(resolve(script)); ; dir = dirname(dir)) {
    const pkg = readPackage(join(dir, 'package.json'));
    if (pkg?.name) return { name: pkg.name.replace(/^@[^/]+\//, ''), version: pkg.version };
    if (dirname(dir) === dir) return {};
  }
}

function readPackage(path: string): { name?: string; version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined;
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

/** `mainScript`: the script the process runs (process.argv[1], absolute by the time a preload module runs). */
export function readSettings(env: NodeJS.ProcessEnv = process.env, mainScript = process.argv[1]): TelemetrySettings {
  const pkg = packageOf(mainScript);
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
