// Static checks of the shipped Jaeger v2 config: storage that survives restarts with a retention, listeners
// that other containers can reach, a UI config file that compose actually mounts, a Monitor tab that reads the
// span metrics under their real names, and one version pin shared by compose and the native build.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCompose } from '../helpers/compose';
import { collectorConfig, processEnv } from '../helpers/retention';

const root = resolve(__dirname, '../../..');
const dir = resolve(root, 'config_volumes/jaeger');
// as Jaeger reads it under compose: ${env:VAR} resolved from the container's environment
const config = collectorConfig('config_volumes/jaeger/config.yaml', processEnv(loadCompose().compose.services.jaeger!));
const envLine = (file: string, key: string): string | undefined =>
  new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1]?.trim();
const envVersion = envLine(resolve(root, '.env'), 'JAEGER_VERSION');
const buildEnv = resolve(root, 'stack/jaeger/build.env');

const ext = config.extensions;
const query = ext.jaeger_query;
const storage = ext.jaeger_storage;
const durationToHours = (d: string): number => {
  const m = /^(\d+)(h|m)$/.exec(d);
  if (!m) throw new Error(`unexpected duration ${d}`);
  return m[2] === 'h' ? Number(m[1]) : Number(m[1]) / 60;
};

describe('jaeger config', () => {
  it('wires OTLP -> batch -> jaeger_storage_exporter and starts every extension it defines', () => {
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['batch'],
      exporters: ['jaeger_storage_exporter'],
    });
    expect([...config.service.extensions].sort()).toEqual(Object.keys(ext).sort());
    expect(config.service.extensions).toEqual(
      expect.arrayContaining(['jaeger_storage', 'jaeger_query', 'healthcheckv2']),
    );
  });

  it('stores traces in a persistent badger under /badger with a span TTL', () => {
    const store = config.exporters.jaeger_storage_exporter.trace_storage;
    expect(query.storage.traces).toBe(store);
    const badger = storage.backends[store].badger;
    expect(badger.ephemeral).toBe(false);
    for (const d of [badger.directories.keys, badger.directories.values]) expect(d).toMatch(/^\/badger\/[a-z]+$/);
    expect(badger.directories.keys).not.toBe(badger.directories.values);
    const hours = durationToHours(badger.ttl.spans);
    expect(hours).toBeGreaterThanOrEqual(24);
    expect(hours).toBeLessThanOrEqual(24 * 30);
  });

  it('binds every listener to 0.0.0.0 on the contract ports', () => {
    const { grpc, http } = config.receivers.otlp.protocols;
    expect(grpc.endpoint).toBe('0.0.0.0:4317');
    expect(http.endpoint).toBe('0.0.0.0:4318');
    expect(query.http.endpoint).toBe('0.0.0.0:16686');
    expect(query.grpc.endpoint).toBe('0.0.0.0:16685');
    expect(ext.healthcheckv2).toMatchObject({
      use_v2: true,
      http: { endpoint: '0.0.0.0:13133', status: { enabled: true, path: '/status' } },
    });
    const prom = config.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    expect(`${prom.host}:${prom.port}`).toBe('0.0.0.0:8888');
    // Self-tracing would export to localhost:4317 (Jaeger itself) and stall shutdown when nothing listens.
    expect(query.enable_tracing).toBe(false);
  });

  it('points the UI at a config file that ships in config_volumes/jaeger, with Monitor and dependencies on', () => {
    const file: string = query.ui.config_file;
    expect(file).toMatch(/^\/etc\/jaeger\//);
    const local = resolve(dir, file.replace(/^\/etc\/jaeger\//, ''));
    expect(existsSync(local), local).toBe(true);
    const ui = JSON.parse(readFileSync(local, 'utf8'));
    expect(ui.monitor.menuEnabled).toBe(true);
    expect(ui.dependencies.menuEnabled).toBe(true);
  });

  it('reads span metrics from prometheus:9090 under the names the Collector exports', () => {
    const backend = storage.metric_backends[query.storage.metrics].prometheus;
    expect(backend.endpoint).toBe('http://prometheus:9090');
    // Jaeger queries <namespace>_calls[_total] and <namespace>_duration[_<unit>]_bucket.
    const calls = `${backend.metric_namespace}_calls${backend.normalize_calls ? '_total' : ''}`;
    const unit = ({ s: '_seconds', ms: '_milliseconds' } as Record<string, string>)[backend.latency_unit ?? 'ms'];
    const duration = `${backend.metric_namespace}_duration${backend.normalize_duration ? unit : ''}_bucket`;
    expect(calls).toBe('traces_span_metrics_calls_total');
    expect(duration).toBe('traces_span_metrics_duration_seconds_bucket');
  });
});

describe('jaeger version pin', () => {
  it('has JAEGER_VERSION (a v2 release) in .env', () => {
    expect(envVersion).toMatch(/^2\.\d+\.\d+$/);
  });

  it('builds natively the release that .env pins', () => {
    expect(envLine(buildEnv, 'JAEGER_VERSION')).toBe(envVersion);
    // A tagged module version or a canonical pseudo-version: the proxy serves nothing else.
    expect(envLine(buildEnv, 'JAEGER_GO_VERSION')).toMatch(/^v1\.\d+\.\d+(-0\.\d{14}-[0-9a-f]{12})?$/);
    expect(envLine(buildEnv, 'JAEGER_COMMIT')).toMatch(/^[0-9a-f]{40}$/);
    const script = readFileSync(resolve(root, 'stack/scripts/build-jaeger.sh'), 'utf8');
    expect(script).toContain('ver="$(env_val JAEGER_VERSION)"'); // .env, through scripts/lib.sh
    expect(script).toContain('stack/jaeger/build.env');
  });

  // Jaeger's v2 tags and the Go module versions tagged on the same commit (its repository's tags), and the module
  // versions this project may build: the package list of approved Go modules (2026-12-01/02) names v1.75.0 and
  // says to skip the newer ones the proxy serves (v1.76.0 = 2.13.0 and later): not approved releases.
  const releases: Record<string, { module: string; commit: string }> = {
    '2.12.0': { module: 'v1.75.0', commit: '1c5531b15d6a90c91a5a6cec94171ccc18ebd3ca' },
    '2.13.0': { module: 'v1.76.0', commit: '63b27e1810a710ac54dc4522da0538e540bdc545' },
  };
  const approvedModules = ['v1.75.0'];

  it('builds an approved module version, the one tagged with the pinned release', () => {
    const pinned = {
      module: envLine(buildEnv, 'JAEGER_GO_VERSION'),
      commit: envLine(buildEnv, 'JAEGER_COMMIT'),
    };
    expect(approvedModules, `JAEGER_GO_VERSION ${pinned.module} is not approved`).toContain(pinned.module);
    expect(pinned).toEqual(releases[envVersion!]);
  });

  const compose = resolve(root, 'docker-compose.yml');
  it.runIf(existsSync(compose))('runs jaegertracing/jaeger at JAEGER_VERSION in compose', () => {
    const services = parse(readFileSync(compose, 'utf8')).services as Record<string, { image?: string }>;
    const images = Object.values(services)
      .map((s) => s.image ?? '')
      .filter((i) => i.startsWith('jaegertracing/'));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect(['jaegertracing/jaeger:${JAEGER_VERSION}', `jaegertracing/jaeger:${envVersion}`]).toContain(image);
    }
  });
});
