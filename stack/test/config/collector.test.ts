// Static checks of the shipped Collector config against the builder manifest and the pinned version: a
// config that names a component the build lacks, or a pipeline without memory_limiter first, fails here
// instead of in a crash-looping container.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(__dirname, '../../..');
const config = parse(readFileSync(resolve(root, 'config_volumes/otel-collector/config.yaml'), 'utf8'));
const manifest = parse(readFileSync(resolve(root, 'stack/collector/manifest.yaml'), 'utf8'));
const local = parse(readFileSync(resolve(root, 'stack/collector/local.yaml'), 'utf8'));
const envVersion = /^OTELCOL_VERSION=(.+)$/m.exec(readFileSync(resolve(root, '.env'), 'utf8'))?.[1]?.trim();

type Kind = 'receivers' | 'processors' | 'connectors' | 'exporters' | 'extensions';
const kinds: Kind[] = ['receivers', 'processors', 'connectors', 'exporters', 'extensions'];
const core = 'go.opentelemetry.io/collector';
const contrib = 'github.com/open-telemetry/opentelemetry-collector-contrib';

// Component type (as the pinned version names it) -> Go module that provides it.
const modules: Record<Kind, Record<string, string>> = {
  receivers: { otlp: `${core}/receiver/otlpreceiver` },
  processors: {
    memory_limiter: `${core}/processor/memorylimiterprocessor`,
    batch: `${core}/processor/batchprocessor`,
    resource: `${contrib}/processor/resourceprocessor`,
    transform: `${contrib}/processor/transformprocessor`,
  },
  connectors: { span_metrics: `${contrib}/connector/spanmetricsconnector` },
  exporters: {
    debug: `${core}/exporter/debugexporter`,
    otlp_grpc: `${core}/exporter/otlpexporter`,
    otlp_http: `${core}/exporter/otlphttpexporter`,
    prometheus: `${contrib}/exporter/prometheusexporter`,
  },
  extensions: {
    health_check: `${contrib}/extension/healthcheckextension`,
    pprof: `${contrib}/extension/pprofextension`,
    zpages: `${core}/extension/zpagesextension`,
  },
};

// Types this version still accepts only as deprecated aliases (a warning at startup) or no longer builds.
const deprecatedTypes: Partial<Record<Kind, string[]>> = {
  exporters: ['otlp', 'otlphttp', 'logging', 'loki'],
  connectors: ['spanmetrics'],
};

const typeOf = (id: string): string => id.split('/')[0] ?? id;
const defined = (kind: Kind): string[] => Object.keys(config[kind] ?? {});
const manifestModules = (kind: Kind): string[] =>
  (manifest[kind] ?? []).map((m: { gomod: string }) => m.gomod.split(' ')[0]);
type Pipeline = { receivers: string[]; processors?: string[]; exporters: string[] };
const pipelines = Object.entries(config.service.pipelines as Record<string, Pipeline>);

describe('collector config vs manifest', () => {
  it('defines every component that the service references', () => {
    for (const ext of config.service.extensions) expect(defined('extensions'), ext).toContain(ext);
    for (const [name, p] of pipelines) {
      for (const id of p.receivers) expect([...defined('receivers'), ...defined('connectors')], `${name}: ${id}`).toContain(id);
      for (const id of p.processors ?? []) expect(defined('processors'), `${name}: ${id}`).toContain(id);
      for (const id of p.exporters) expect([...defined('exporters'), ...defined('connectors')], `${name}: ${id}`).toContain(id);
    }
  });

  it('uses each connector as an exporter in one pipeline and a receiver in another', () => {
    for (const id of defined('connectors')) {
      expect(pipelines.some(([, p]) => p.exporters.includes(id)), id).toBe(true);
      expect(pipelines.some(([, p]) => p.receivers.includes(id)), id).toBe(true);
    }
  });

  it('builds every defined component type, and nothing more', () => {
    for (const kind of kinds) {
      const wanted = [...new Set(defined(kind).map(typeOf))].map((t) => {
        expect(modules[kind], `${kind}: no module known for type ${t}`).toHaveProperty(t);
        return modules[kind][t] ?? '';
      });
      expect(manifestModules(kind).sort(), kind).toEqual(wanted.sort());
    }
  });

  it('uses no deprecated component type names', () => {
    for (const kind of kinds) {
      for (const id of defined(kind)) expect(deprecatedTypes[kind] ?? [], `${kind}: ${id}`).not.toContain(typeOf(id));
    }
    expect(config.exporters.prometheus).not.toHaveProperty('resource_to_telemetry_conversion');
  });

  it('puts memory_limiter first in every pipeline', () => {
    expect(pipelines.length).toBeGreaterThanOrEqual(3);
    for (const [name, p] of pipelines) expect(typeOf(p.processors?.[0] ?? ''), name).toBe('memory_limiter');
  });

  it('has one pipeline per signal, with span metrics from traces into metrics', () => {
    expect(pipelines.map(([n]) => typeOf(n)).sort()).toEqual(['logs', 'metrics', 'traces']);
    expect(config.service.pipelines.traces.exporters).toContain('span_metrics');
    expect(config.service.pipelines.metrics.receivers).toContain('span_metrics');
    expect(config.connectors.span_metrics).toMatchObject({
      namespace: 'traces.span.metrics',
      histogram: { unit: 's' },
      exemplars: { enabled: true },
    });
  });

  it('binds every listener to 0.0.0.0 on the contract ports', () => {
    const { grpc, http } = config.receivers.otlp.protocols;
    expect(grpc.endpoint).toBe('0.0.0.0:4317');
    expect(http.endpoint).toBe('0.0.0.0:4318');
    expect(config.exporters.prometheus.endpoint).toBe('0.0.0.0:8889');
    expect(config.extensions.health_check.endpoint).toBe('0.0.0.0:13133');
    expect(config.extensions.pprof.endpoint).toBe('0.0.0.0:1777');
    expect(config.extensions.zpages.endpoint).toBe('0.0.0.0:55679');
    const prom = config.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    expect(`${prom.host}:${prom.port}`).toBe('0.0.0.0:8888');
    expect(prom.without_type_suffix).toBe(false);
  });

  it('sends to the compose hosts, with exemplars on the scrape endpoint', () => {
    const byType = (t: string) => defined('exporters').filter((id) => typeOf(id) === t).map((id) => config.exporters[id]);
    expect(byType('otlp_grpc').map((e) => e.endpoint)).toEqual(['jaeger:4317']);
    expect(byType('otlp_http').map((e) => e.endpoint)).toEqual(['http://loki:3100/otlp']);
    expect(config.exporters.prometheus.enable_open_metrics).toBe(true);
    for (const e of [...byType('otlp_grpc'), ...byType('otlp_http')]) {
      expect(e.sending_queue).toMatchObject({ enabled: true, block_on_overflow: false });
    }
  });
});

describe('native overlay (stack/collector/local.yaml)', () => {
  it('only re-addresses components of the shipped config', () => {
    for (const kind of kinds) {
      for (const id of Object.keys(local[kind] ?? {})) expect(defined(kind), `${kind}: ${id}`).toContain(id);
    }
    expect(local.service).not.toHaveProperty('pipelines');
  });

  it('repeats the shipped telemetry reader but for its host (lists replace, not merge)', () => {
    const reader = (c: typeof config) => c.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    expect({ ...reader(local), host: 'h' }).toEqual({ ...reader(config), host: 'h' });
    expect(local.service.telemetry.metrics.readers).toHaveLength(1);
  });
});

describe('collector version pin', () => {
  it('has OTELCOL_VERSION in .env', () => {
    expect(envVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('builds every v0.x module and the dist at OTELCOL_VERSION', () => {
    expect(manifest.dist.version).toBe(envVersion);
    const gomods: string[] = [...kinds.flatMap((k) => manifest[k] ?? []), ...(manifest.providers ?? []), manifest.telemetry]
      .map((m: { gomod: string }) => m.gomod);
    for (const gomod of gomods) {
      const version = gomod.split(' ')[1] ?? '';
      if (version.startsWith('v0.')) expect(version, gomod).toBe(`v${envVersion}`);
      else expect(version, gomod).toMatch(/^v1\.\d+\.\d+$/);
    }
  });

  const compose = resolve(root, 'docker-compose.yml');
  it.runIf(existsSync(compose))('runs the contrib image at OTELCOL_VERSION in compose', () => {
    const services = parse(readFileSync(compose, 'utf8')).services as Record<string, { image?: string }>;
    const images = Object.values(services).map((s) => s.image ?? '').filter((i) => i.startsWith('otel/opentelemetry-collector-contrib:'));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect(['otel/opentelemetry-collector-contrib:${OTELCOL_VERSION}', `otel/opentelemetry-collector-contrib:${envVersion}`]).toContain(image);
    }
  });
});
