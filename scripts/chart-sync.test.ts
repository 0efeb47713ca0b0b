// charts/ostack/files/ is what `npm run chart:sync` writes now (no drift from config_volumes/), and the two
// Collector tiers run compose's own component blocks: tail sampling in tier 2, span metrics, the exemplar and
// log filters and the metrics labelling in tier 1.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartEnv, chartFiles, outDir, writtenFiles } from './chart-sync.mts';

const root = resolve(__dirname, '..');
const generated = chartFiles(root);
const compose = parse(readFileSync(resolve(root, 'config_volumes/otel-collector/config.yaml'), 'utf8'));
const tier1 = parse(generated.get('collector/tier1.yaml')!);
const tier2 = parse(generated.get('collector/tier2.yaml')!);
const withEndpoint = (block: object, endpoint: string) => ({ ...block, endpoint });
/** Compose's pipeline without its debug exporter. */
const noDebug = (p: { exporters: string[] }) => ({ ...p, exporters: p.exporters.filter((e) => e !== 'debug') });
/** `${env:NAME}` and `${env:NAME:-default}` references of a config's values: name -> default (undefined: none). */
const envRefs = (config: object) =>
  new Map([...JSON.stringify(config).matchAll(/\$\{env:([A-Z0-9_]+)(?::-([^}]*))?\}/g)].map((m) => [m[1]!, m[2]]));

describe(`${outDir} (npm run chart:sync)`, () => {
  it('holds exactly what the generator writes from config_volumes/ now', () => {
    const written = writtenFiles(root);
    expect([...written.keys()].sort(), 'files: run `npm run chart:sync`').toEqual([...generated.keys()].sort());
    for (const [path, text] of generated) expect(written.get(path), `${path}: run \`npm run chart:sync\``).toBe(text);
  });

  it('has the paths the chart templates read', () => {
    expect([...generated.keys()].filter((p) => !/^grafana\/dashboards\/|^prometheus\/rules\//.test(p)).sort()).toEqual([
      'collector/tier1.yaml',
      'collector/tier2.yaml',
      'grafana/provisioning/dashboards/dashboards.yaml',
      'grafana/provisioning/datasources/datasources.yaml',
      'loki/loki.yaml',
    ]);
    expect([...generated.keys()].filter((p) => p.startsWith('grafana/dashboards/')).length).toBeGreaterThan(0);
    expect([...generated.keys()].filter((p) => p.startsWith('prometheus/rules/')).length).toBeGreaterThan(0);
  });

  it('points Grafana at the chart’s URLs, from its environment, and changes nothing else', () => {
    const mine = parse(
      readFileSync(resolve(root, 'config_volumes/grafana/provisioning/datasources/datasources.yaml'), 'utf8'),
    );
    const theirs = parse(generated.get('grafana/provisioning/datasources/datasources.yaml')!);
    const urls = Object.fromEntries(theirs.datasources.map((d: { uid: string; url: string }) => [d.uid, d.url]));
    expect(urls).toEqual({
      prometheus: '${OSTACK_PROMETHEUS_URL}',
      loki: '${OSTACK_LOKI_URL}',
      jaeger: '${OSTACK_JAEGER_URL}',
    });
    expect(Object.keys(chartEnv.grafana).sort()).toEqual(
      Object.values(urls)
        .map((u) => u.slice(2, -1))
        .sort(),
    );
    const urlless = (c: { datasources: object[] }) => ({
      ...c,
      datasources: c.datasources.map((d) => ({ ...d, url: '' })),
    });
    expect(urlless(theirs)).toEqual(urlless(mine));
  });
});

describe('Collector tier 1', () => {
  it('runs compose’s blocks for what it shares with compose', () => {
    for (const id of ['memory_limiter', 'transform/exemplars', 'filter/logs', 'transform/collector_instance', 'batch'])
      expect(tier1.processors[id], id).toEqual(compose.processors[id]);
    expect(Object.keys(tier1.processors)).not.toContain('tail_sampling');
    expect(tier1.connectors).toEqual({
      forward: compose.connectors.forward,
      span_metrics: compose.connectors.span_metrics,
    });
    expect(tier1.receivers).toEqual(compose.receivers);
    expect(tier1.exporters.prometheus).toEqual(compose.exporters.prometheus);
    expect(tier1.exporters['otlp_http/loki']).toEqual(
      withEndpoint(compose.exporters['otlp_http/loki'], '${env:OSTACK_LOKI_OTLP_ENDPOINT}'),
    );
    expect(tier1.extensions).toEqual({ health_check: compose.extensions.health_check });
    expect(tier1.service.telemetry).toEqual(compose.service.telemetry);
  });

  it('makes span metrics from every span before routing the traces by trace id to tier 2', () => {
    const p = tier1.service.pipelines;
    expect(Object.keys(p).sort()).toEqual(['logs', 'metrics', 'traces', 'traces/routed', 'traces/span_metrics']);
    expect(p.traces).toEqual(compose.service.pipelines.traces);
    expect(p['traces/span_metrics']).toEqual(compose.service.pipelines['traces/span_metrics']);
    expect(p['traces/routed']).toEqual({ receivers: ['forward'], exporters: ['load_balancing'] });
    expect(p.metrics).toEqual(noDebug(compose.service.pipelines.metrics));
    expect(p.logs).toEqual(noDebug(compose.service.pipelines.logs));
    expect(tier1.exporters.load_balancing).toMatchObject({
      routing_key: 'traceID',
      protocol: { otlp: { tls: { insecure: true } } },
      resolver: { dns: { hostname: '${env:OSTACK_TIER2_HOSTNAME}', port: '4317' } },
    });
  });

  it('queues and retries where a failed batch can be routed again, with compose’s settings', () => {
    const lb = tier1.exporters.load_balancing;
    const jaeger = compose.exporters['otlp_grpc/jaeger'];
    for (const k of ['timeout', 'sending_queue', 'retry_on_failure']) expect(lb[k], k).toEqual(jaeger[k]);
    expect(lb.protocol.otlp.sending_queue).toEqual({ enabled: false });
    expect(lb.protocol.otlp.retry_on_failure).toEqual({ enabled: false });
  });

  it('reads the chart’s variables and compose’s knobs with their defaults', () => {
    const refs = envRefs(tier1);
    const knobs = envRefs(compose);
    for (const [name, fallback] of knobs) expect(refs.get(name), name).toBe(fallback);
    const required = [...refs].filter(([, fallback]) => fallback === undefined).map(([name]) => name);
    expect(required.sort()).toEqual(['OSTACK_LOKI_OTLP_ENDPOINT', 'OSTACK_TIER2_HOSTNAME']);
    expect(Object.keys(chartEnv.tier1).sort()).toEqual(['OSTACK_COLLECTOR_INSTANCE_ID', ...required].sort());
  });
});

describe('Collector tier 2', () => {
  it('tail-samples with compose’s block, then sends to Jaeger with compose’s exporter', () => {
    expect(tier2.processors).toEqual({
      memory_limiter: compose.processors.memory_limiter,
      tail_sampling: compose.processors.tail_sampling,
      batch: compose.processors.batch,
    });
    expect(tier2.exporters).toEqual({
      'otlp_grpc/jaeger': withEndpoint(compose.exporters['otlp_grpc/jaeger'], '${env:OSTACK_JAEGER_OTLP_ENDPOINT}'),
    });
    expect(tier2.receivers.otlp.protocols).toEqual({ grpc: compose.receivers.otlp.protocols.grpc });
    expect(tier2.service.pipelines).toEqual({
      traces: {
        receivers: ['otlp'],
        processors: ['memory_limiter', ...compose.service.pipelines['traces/sampled'].processors],
        exporters: ['otlp_grpc/jaeger'],
      },
    });
    expect(tier2.extensions).toEqual({ health_check: compose.extensions.health_check });
    expect(tier2.service.telemetry).toEqual(compose.service.telemetry);
  });

  it('reads only the Jaeger endpoint from the chart, the sampling knobs with compose’s defaults', () => {
    const refs = envRefs(tier2);
    expect([...refs.keys()].sort()).toEqual([
      'OSTACK_JAEGER_OTLP_ENDPOINT',
      'OSTACK_TRACES_SAMPLE_PERCENT',
      'OSTACK_TRACES_SLOW_MS',
    ]);
    expect(refs.get('OSTACK_JAEGER_OTLP_ENDPOINT')).toBeUndefined();
    expect(Object.keys(chartEnv.tier2)).toEqual(['OSTACK_JAEGER_OTLP_ENDPOINT']);
  });
});
