// The stack under test: the copy of the shipped stack that `npm run test:compose` starts (`own`: the suites may stop,
// recreate and restart it), or a user's own `docker compose up` (`npm run test:running-stack`). Loki and Grafana
// are real but where the compose run uses the stand-ins of stack/compose/standins.yaml (OSTACK_STANDINS=1, as CI
// does): a Loki stand-in, no Grafana. The assertions take the backends' addresses and controls from here only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dotenv } from '../helpers/env';
import { repoPath } from '../helpers/repo';
import { type LogRecord, lokiLogsOfTrace, lokiQueryRange, lokiRecords } from './backends';

export type Service =
  'otel-collector' | 'jaeger' | 'prometheus' | 'order-service' | 'inventory-service' | 'loki' | 'postgres';

export interface StackUnderTest {
  /** `own`: the copy `npm run test:compose` started; `running`: a user's stack, which the suites never stop. */
  kind: 'own' | 'running';
  /** The Loki stand-in instead of Loki, and no Grafana (stack/compose/standins.yaml). */
  standins: boolean;
  urls: {
    order: string;
    inventory: string;
    prometheus: string;
    jaeger: string;
    collector: string;
    loki?: string;
    grafana?: string;
  };
  /** `docker compose ARGS` with this run's project files; `env` overrides .env for variables the file interpolates. */
  compose(args: string[], env?: Record<string, string>): string;
  stop(service: Service): Promise<void>;
  /** Starts a stopped service and waits until compose reports it healthy (or running, without a healthcheck). */
  start(service: Service): Promise<void>;
  /** Recreates a service with variables overridden (e.g. the fault toggles), and waits for it. `{}` restores .env. */
  recreate(service: Service, env: Record<string, string>): Promise<void>;
  /** Every log record the logs backend has received (the stand-in's file, or Loki's last hour). */
  logRecords(): Promise<LogRecord[]>;
  /** The log records of one trace. */
  logsOfTrace(traceId: string): Promise<LogRecord[]>;
}

const env = { ...dotenv(), ...process.env } as Record<string, string>;
const host = env.STACK_HOST ?? env.OSTACK_BIND_ADDRESS ?? '127.0.0.1';

/** Grafana's admin login of .env, as an Authorization header (a user's stack only). */
export const grafanaAuth = () => {
  const login = `${env.GF_SECURITY_ADMIN_USER ?? 'admin'}:${env.GF_SECURITY_ADMIN_PASSWORD}`;
  return `Basic ${Buffer.from(login).toString('base64')}`;
};

/** Directory the Loki stand-in's file exporter writes to (set by stack/scripts/test-compose.sh with the stand-ins). */
const standinDir = process.env.OSTACK_LOKI_STANDIN_DIR;
/** The data folder of the copy that stack/scripts/test-compose.sh started. */
const ownData = process.env.OSTACK_TEST_DATA;

function compose(args: string[], overrides: Record<string, string> = {}): string {
  return execFileSync('docker', ['compose', ...args], {
    cwd: repoPath(),
    env: { ...process.env, ...overrides },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}

/** The stand-in's records: the file exporter's JSON lines, one OTLP ExportLogsServiceRequest each. */
function standinRecords(): LogRecord[] {
  if (!standinDir || !existsSync(standinDir)) return [];
  const records: LogRecord[] = [];
  for (const file of readdirSync(standinDir).filter((f) => f.endsWith('.jsonl') || f.endsWith('.json'))) {
    for (const line of readFileSync(join(standinDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let request: OtlpLogs;
      try {
        request = JSON.parse(line) as OtlpLogs;
      } catch {
        continue; // a line the exporter is still writing
      }
      for (const rl of request.resourceLogs ?? []) {
        const resource = attributes(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? [])
          for (const r of sl.logRecords ?? [])
            records.push({
              service: String(resource['service.name'] ?? ''),
              body: anyValue(r.body),
              severity: r.severityText ?? '',
              severityNumber: r.severityNumber ?? 0,
              traceId: r.traceId ?? '',
              spanId: r.spanId ?? '',
              labels: { ...resource, ...attributes(r.attributes) },
            });
      }
    }
  }
  return records;
}

interface OtlpKeyValue {
  key: string;
  value?: Record<string, unknown>;
}
interface OtlpLogs {
  resourceLogs?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeLogs?: {
      logRecords?: {
        body?: Record<string, unknown>;
        severityText?: string;
        severityNumber?: number;
        traceId?: string;
        spanId?: string;
        attributes?: OtlpKeyValue[];
      }[];
    }[];
  }[];
}
/** An OTLP AnyValue as text: scalars as they are, anything else as its JSON. */
const anyValue = (v?: Record<string, unknown>): string => {
  if (!v) return '';
  const scalar = v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
  return typeof scalar === 'string' || typeof scalar === 'number' || typeof scalar === 'boolean'
    ? String(scalar)
    : JSON.stringify(v);
};
const attributes = (kvs: OtlpKeyValue[] = []): Record<string, string> =>
  Object.fromEntries(kvs.map((kv) => [kv.key, anyValue(kv.value)]));

async function waitFor(service: Service): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const id = compose(['ps', '-q', service]).trim();
    const state = id
      ? execFileSync(
          'docker',
          ['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', id],
          {
            encoding: 'utf8',
          },
        ).trim()
      : '';
    if (state === 'running healthy' || state === 'running') return;
    if (Date.now() > deadline) throw new Error(`${service} not healthy: ${state || 'no container'}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export const stack: StackUnderTest = {
  kind: ownData ? 'own' : 'running',
  standins: Boolean(standinDir),
  urls: {
    order: `http://${host}:8000`,
    inventory: `http://${host}:8010`,
    prometheus: `http://${host}:9090`,
    jaeger: `http://${host}:16686`,
    collector: `http://${host}:4318`,
    ...(standinDir ? {} : { loki: `http://${host}:3100`, grafana: `http://${host}:3000` }),
  },
  compose,
  stop: (service) => Promise.resolve(void compose(['stop', service])),
  start: async (service) => {
    compose(['start', service]);
    await waitFor(service);
  },
  recreate: async (service, overrides) => {
    compose(['up', '-d', '--no-deps', '--force-recreate', '--wait', service], overrides);
    await waitFor(service);
  },
  logRecords: async () => (standinDir ? standinRecords() : lokiRecords(`${stack.urls.loki}`, '{service_name=~".+"}')),
  logsOfTrace: async (traceId) =>
    standinDir ? standinRecords().filter((r) => r.traceId === traceId) : lokiLogsOfTrace(`${stack.urls.loki}`, traceId),
};

export { lokiQueryRange };
