// Static checks of the shipped Collector config against the builder manifest and the pinned version: a
// config that names a component the build lacks, or a pipeline without memory_limiter first, fails here
// instead of in a crash-looping container. With the built Collector cached, it validates the config too.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDotenv } from '../helpers/env';

const root = resolve(__dirname, '../../..');
const config = parse(readFileSync(resolve(root, 'config_volumes/otel-collector/config.yaml'), 'utf8'));
const manifest = parse(readFileSync(resolve(root, 'stack/collector/manifest.yaml'), 'utf8'));
const local = parse(readFileSync(resolve(root, 'stack/collector/local.yaml'), 'utf8'));
const dotenvVars = parseDotenv(readFileSync(resolve(root, '.env'), 'utf8'));
const envVersion = dotenvVars.OTELCOL_VERSION;

/** The share rule: the trace id's 56 random low bits (its last 14 hex digits) below percent/100 * 2^56. */
const shareOf = (context: 'span' | 'log', variable: string) =>
  `ParseInt(Substring(${context}.trace_id.string, 18, 14), 16) * 100 < \${env:${variable}:-100} * ${2n ** 56n}`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    tail_sampling: `${contrib}/processor/tailsamplingprocessor`,
    filter: `${contrib}/processor/filterprocessor`,
  },
  connectors: {
    span_metrics: `${contrib}/connector/spanmetricsconnector`,
    forward: `${core}/connector/forwardconnector`,
  },
  exporters: {
    debug: `${core}/exporter/debugexporter`,
    otlp_grpc: `${core}/exporter/otlpexporter`,
    otlp_http: `${core}/exporter/otlphttpexporter`,
    prometheus: `${contrib}/exporter/prometheusexporter`,
    load_balancing: `${contrib}/exporter/loadbalancingexporter`,
  },
  extensions: {
    health_check: `${contrib}/extension/healthcheckextension`,
    pprof: `${contrib}/extension/pprofextension`,
    zpages: `${core}/extension/zpagesextension`,
  },
};

// Built, though the shipped config does not use them: the compose test run's Loki stand-in writes with the
// file exporter; the Helm chart's tier 1 routes traces to tier 2 with load_balancing (the official contrib image
// has it too); the probabilistic sampler is not used (logs are sampled by filter/logs, so that kept access
// logs follow kept traces) and can go at the next manifest change.
const builtBeyondConfig: Partial<Record<Kind, string[]>> = {
  exporters: [`${contrib}/exporter/fileexporter`, `${contrib}/exporter/loadbalancingexporter`],
  processors: [`${contrib}/processor/probabilisticsamplerprocessor`],
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
const isConnector = (id: string) => defined('connectors').includes(id);
const pipeline = (name: string): Pipeline => config.service.pipelines[name];

describe('collector config vs manifest', () => {
  it('defines every component that the service references', () => {
    for (const ext of config.service.extensions) expect(defined('extensions'), ext).toContain(ext);
    for (const [name, p] of pipelines) {
      for (const id of p.receivers)
        expect([...defined('receivers'), ...defined('connectors')], `${name}: ${id}`).toContain(id);
      for (const id of p.processors ?? []) expect(defined('processors'), `${name}: ${id}`).toContain(id);
      for (const id of p.exporters)
        expect([...defined('exporters'), ...defined('connectors')], `${name}: ${id}`).toContain(id);
    }
  });

  it('uses each connector as an exporter in one pipeline and a receiver in another', () => {
    for (const id of defined('connectors')) {
      expect(
        pipelines.some(([, p]) => p.exporters.includes(id)),
        id,
      ).toBe(true);
      expect(
        pipelines.some(([, p]) => p.receivers.includes(id)),
        id,
      ).toBe(true);
    }
  });

  it('builds every defined component type, and nothing more', () => {
    for (const kind of kinds) {
      const wanted = [...new Set(defined(kind).map(typeOf))].map((t) => {
        expect(modules[kind], `${kind}: no module known for type ${t}`).toHaveProperty(t);
        return modules[kind][t] ?? '';
      });
      expect(manifestModules(kind).sort(), kind).toEqual([...wanted, ...(builtBeyondConfig[kind] ?? [])].sort());
    }
  });

  it('uses no deprecated component type names', () => {
    for (const kind of kinds) {
      for (const id of defined(kind)) expect(deprecatedTypes[kind] ?? [], `${kind}: ${id}`).not.toContain(typeOf(id));
    }
    expect(config.exporters.prometheus).not.toHaveProperty('resource_to_telemetry_conversion');
  });

  it('puts memory_limiter first where data comes in, and batch last before a backend', () => {
    const fromOutside = pipelines.filter(([, p]) => p.receivers.some((id) => !isConnector(id)));
    expect(fromOutside.map(([n]) => n).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const [name, p] of fromOutside) expect(typeOf(p.processors?.[0] ?? ''), name).toBe('memory_limiter');
    // Pipelines fed only by a connector carry data that passed memory_limiter already.
    for (const [name, p] of pipelines) {
      const processors = (p.processors ?? []).map(typeOf);
      if (p.receivers.every(isConnector)) expect(processors, name).not.toContain('memory_limiter');
      if (p.exporters.some((id) => !isConnector(id))) expect(processors.at(-1), name).toBe('batch');
      else expect(processors, name).not.toContain('batch');
    }
  });

  it('has one pipeline per signal, the traces one split by forward before any sampling', () => {
    expect(pipelines.map(([n]) => n).sort()).toEqual([
      'logs',
      'metrics',
      'traces',
      'traces/sampled',
      'traces/span_metrics',
    ]);
    expect(pipeline('traces')).toMatchObject({
      receivers: ['otlp'],
      processors: ['memory_limiter'],
      exporters: ['forward'],
    });
    const branches = pipelines
      .filter(([, p]) => p.receivers.includes('forward'))
      .map(([n]) => n)
      .sort();
    expect(branches).toEqual(['traces/sampled', 'traces/span_metrics']);
    for (const name of branches) expect(pipeline(name).receivers, name).toEqual(['forward']);
  });

  it('computes span metrics from every span: nothing in their branch drops spans', () => {
    const branch = pipeline('traces/span_metrics');
    expect(branch.exporters).toEqual(['span_metrics']);
    for (const id of branch.processors ?? []) expect(['transform'], id).toContain(typeOf(id));
    // transform/exemplars only edits trace ids (of the branch's own copy), never drops
    for (const statement of config.processors['transform/exemplars'].trace_statements as string[])
      expect(statement).toMatch(/^set\(span\.trace_id, TraceID\(0x0{32}\)\) where /);
    expect(pipeline('metrics').receivers).toContain('span_metrics');
    expect(config.connectors.span_metrics).toMatchObject({
      namespace: 'traces.span.metrics',
      histogram: { unit: 's' },
      exemplars: { enabled: true },
    });
  });

  it('tail-samples only the branch to Jaeger: errors, slow traces, and a share by trace id', () => {
    const branch = pipeline('traces/sampled');
    expect(branch.processors).toEqual(['tail_sampling', 'batch']);
    expect(branch.exporters).toContain('otlp_grpc/jaeger');
    for (const [name, p] of pipelines)
      if (name !== 'traces/sampled') expect(p.processors ?? [], name).not.toContain('tail_sampling');
    const ts = config.processors.tail_sampling;
    // each policy's own key, keyed by type
    const byType = Object.fromEntries((ts.policies as { type: string }[]).map((p) => [p.type, (p as any)[p.type]]));
    expect(Object.keys(byType).sort()).toEqual(['latency', 'ottl_condition', 'status_code']);
    expect(byType.status_code).toEqual({ status_codes: ['ERROR'] });
    expect(byType.latency).toEqual({ threshold_ms: '${env:OSTACK_TRACES_SLOW_MS:-500}' });
    expect(byType.ottl_condition.span).toEqual([shareOf('span', 'OSTACK_TRACES_SAMPLE_PERCENT')]);
    // late spans of a decided trace follow its decision instead of starting a new one
    expect(ts.decision_cache.sampled_cache_size).toBeGreaterThanOrEqual(ts.num_traces);
    expect(ts.decision_cache.non_sampled_cache_size).toBeGreaterThanOrEqual(ts.num_traces);
  });

  it('keeps an exemplar only where tail sampling is sure to keep its trace', () => {
    const [statement] = config.processors['transform/exemplars'].trace_statements as string[];
    const [, condition] = /where not \((.*)\)$/s.exec(statement!) ?? [];
    expect(condition?.split(/\s+or\s+/).map((c) => c.trim())).toEqual([
      'span.status.code == STATUS_CODE_ERROR',
      // the latency policy keeps whole ms strictly above the threshold: a span of (threshold + 1) ms or more
      'span.end_time_unix_nano - span.start_time_unix_nano >= (${env:OSTACK_TRACES_SLOW_MS:-500} + 1) * 1000000',
      shareOf('span', 'OSTACK_TRACES_SAMPLE_PERCENT'),
    ]);
  });

  it('drops logs below the .env level and access logs of successful requests outside their share', () => {
    const p = pipeline('logs');
    expect(p.processors).toEqual(['memory_limiter', 'filter/logs', 'batch']);
    const [level, access] = config.processors['filter/logs'].log_conditions as string[];
    expect(level).toBe(
      'log.severity_number != SEVERITY_NUMBER_UNSPECIFIED and ' +
        'log.severity_number < SEVERITY_NUMBER_${env:OSTACK_LOGS_MIN_SEVERITY:-INFO}',
    );
    // never a warning or an error; the share is the traces' rule on the record's trace id
    expect(access).toContain('log.severity_number < SEVERITY_NUMBER_WARN and ');
    expect(access).toContain('log.attributes["http.response.status_code"] < 400');
    expect(access).toMatch(new RegExp(`and not \\(${escape(shareOf('log', 'OSTACK_LOGS_ACCESS_SAMPLE_PERCENT'))}\\)$`));
  });

  it('reads each sampling knob with the default .env sets, and compose passes each one in', () => {
    const text = readFileSync(resolve(root, 'config_volumes/otel-collector/config.yaml'), 'utf8');
    const refs = new Map(
      [...text.matchAll(/\$\{env:(OSTACK_(?:TRACES|LOGS)_[A-Z_]+):-([^}]*)\}/g)].map((m) => [m[1]!, m[2]!]),
    );
    expect([...refs.keys()].sort()).toEqual(
      Object.keys(dotenvVars)
        .filter((k) => /^OSTACK_(TRACES|LOGS)_/.test(k))
        .sort(),
    );
    const collector = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8')).services['otel-collector'];
    for (const [name, fallback] of refs) {
      expect(dotenvVars[name], name).toBe(fallback);
      expect(collector.environment[name], name).toBe(`\${${name}:-${fallback}}`);
    }
  });

  it('labels every exported metric with the exporting instance, span metrics included', () => {
    const statements = config.processors['transform/collector_instance'].metric_statements;
    expect(statements).toEqual([
      'set(resource.attributes["collector.instance.id"], "${env:OSTACK_COLLECTOR_INSTANCE_ID:-otel-collector}")',
    ]);
    // every metric the prometheus exporter gets passes it: the only metrics pipeline, span metrics included
    const toPrometheus = pipelines.filter(([, p]) => p.exporters.includes('prometheus'));
    expect(toPrometheus.map(([n]) => n)).toEqual(['metrics']);
    expect(pipeline('metrics').receivers).toContain('span_metrics');
    expect(pipeline('metrics').processors).toContain('transform/collector_instance');
    expect(config.exporters.prometheus.resource_constant_labels.included).toContain('collector.instance.id');
    // span_metrics' own collector.instance.id (a UUID per start) would collide with the resource's
    expect(config.connectors.span_metrics.exclude_dimensions).toEqual(['collector.instance.id']);
    const collector = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8')).services['otel-collector'];
    expect(collector.environment.OSTACK_COLLECTOR_INSTANCE_ID).toBe('${OSTACK_COLLECTOR_INSTANCE_ID:-otel-collector}');
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
    const byType = (t: string) =>
      defined('exporters')
        .filter((id) => typeOf(id) === t)
        .map((id) => config.exporters[id]);
    expect(byType('otlp_grpc').map((e) => e.endpoint)).toEqual(['jaeger:4317']);
    expect(byType('otlp_http').map((e) => e.endpoint)).toEqual(['http://loki:3100/otlp']);
    expect(config.exporters.prometheus.enable_open_metrics).toBe(true);
    for (const e of [...byType('otlp_grpc'), ...byType('otlp_http')]) {
      expect(e.sending_queue).toMatchObject({ enabled: true, block_on_overflow: false });
    }
  });
});

// The Helm chart's two Collector tiers (generated from this config by `npm run chart:sync`, scripts/chart-sync.mts).
const tierFiles = ['tier1', 'tier2'].map((t) => resolve(root, `charts/ostack/files/collector/${t}.yaml`));
const tierEnv = {
  OSTACK_COLLECTOR_INSTANCE_ID: 'ostack-collector-tier1-5d9c7b-x2x4q',
  OSTACK_LOKI_OTLP_ENDPOINT: 'http://ostack-loki:3100/otlp',
  OSTACK_TIER2_HOSTNAME: 'ostack-collector-tier2.ostack.svc.cluster.local',
  OSTACK_JAEGER_OTLP_ENDPOINT: 'ostack-jaeger-collector:4317',
};

describe('the chart’s Collector tiers vs manifest', () => {
  it.each(tierFiles)('builds every component type of %s', (file) => {
    const tier = parse(readFileSync(file, 'utf8'));
    for (const kind of kinds) {
      for (const id of Object.keys(tier[kind] ?? {})) {
        const gomod = modules[kind][typeOf(id)];
        expect(gomod, `${kind}: no module known for type ${typeOf(id)}`).toBeDefined();
        expect(manifestModules(kind), `${kind}: ${id}`).toContain(gomod);
      }
    }
  });
});

// The binary stack/scripts/build-collector.sh caches for this manifest, when it has been built here.
const collectorBin = resolve(
  process.env.OSTACK_CACHE ?? resolve(homedir(), '.cache/ostack'),
  `bin/otelcol-ostack-${envVersion}-${createHash('sha256')
    .update(readFileSync(resolve(root, 'stack/collector/manifest.yaml')))
    .digest('hex')
    .slice(0, 12)}`,
);
const validate = (env: Record<string, string>, file = resolve(root, 'config_volumes/otel-collector/config.yaml')) => {
  const r = spawnSync(collectorBin, ['validate', '--config', file], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
};

describe.runIf(existsSync(collectorBin))('the built Collector validates the config (OTTL included)', () => {
  it.each([
    ['.env defaults', {}],
    [
      'sampling on',
      {
        OSTACK_TRACES_SAMPLE_PERCENT: '10',
        OSTACK_TRACES_SLOW_MS: '250',
        OSTACK_LOGS_MIN_SEVERITY: 'WARN',
        OSTACK_LOGS_ACCESS_SAMPLE_PERCENT: '5',
      },
    ],
  ])('%s', (_name, env) => {
    const { ok, output } = validate(env);
    expect(ok, output).toBe(true);
  });

  it.each(tierFiles)('validates the chart’s %s with its environment', (file) => {
    const { ok, output } = validate(tierEnv, file);
    expect(ok, output).toBe(true);
  });

  it('refuses a level that is not an upper-case severity name', () => {
    const { ok, output } = validate({ OSTACK_LOGS_MIN_SEVERITY: 'warn' });
    expect(ok).toBe(false);
    expect(output).toContain('filter/logs');
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
    const gomods: string[] = [
      ...kinds.flatMap((k) => manifest[k] ?? []),
      ...(manifest.providers ?? []),
      manifest.telemetry,
    ].map((m: { gomod: string }) => m.gomod);
    for (const gomod of gomods) {
      const version = gomod.split(' ')[1] ?? '';
      if (version.startsWith('v0.')) expect(version, gomod).toBe(`v${envVersion}`);
      else expect(version, gomod).toMatch(/^v1\.\d+\.\d+$/);
    }
  });

  const compose = resolve(root, 'docker-compose.yml');
  it.runIf(existsSync(compose))('runs the contrib image at OTELCOL_VERSION in compose', () => {
    const services = parse(readFileSync(compose, 'utf8')).services as Record<string, { image?: string }>;
    const images = Object.values(services)
      .map((s) => s.image ?? '')
      .filter((i) => i.startsWith('otel/opentelemetry-collector-contrib:'));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect([
        'otel/opentelemetry-collector-contrib:${OTELCOL_VERSION}',
        `otel/opentelemetry-collector-contrib:${envVersion}`,
      ]).toContain(image);
    }
  });
});
