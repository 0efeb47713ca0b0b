// The chart as `helm template` renders it, with its defaults and with CI's test values: every workload hardened,
// probed and sized, the topology the issue asks for, PDBs, images equal to .env's (compose's) and to the versions CI
// builds, the schema enforced. Needs helm on PATH (CI puts it there: .ci/k8s/build-helm.sh); without it, and
// outside CI, the suite is skipped with one line saying so.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const chart = join(__dirname, '..');
const root = join(chart, '..', '..');
const testValues = join(root, 'stack', 'k8s', 'test-values.yaml');
const standins = join(root, 'stack', 'k8s', 'standins-values.yaml');

const helmFound = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' }).status === 0;
const skip = !helmFound && !process.env.CI;

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
}

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('helm', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` of release `ostack` with these values files and --set flags, as objects. */
function render(valuesFiles: string[] = [], set: string[] = []): Manifest[] {
  const r = helm([
    'template',
    'ostack',
    chart,
    '--namespace',
    'ostack-test',
    ...valuesFiles.flatMap((f) => ['--values', f]),
    ...set.flatMap((s) => ['--set', s]),
  ]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** KEY=VALUE lines of an env file. */
function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
}

const workloadKinds = new Set(['Deployment', 'StatefulSet']);
const podSpecOf = (m: Manifest) =>
  m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec.template.spec;
const byName = (objects: Manifest[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const handlers = ['httpGet', 'tcpSocket', 'grpc', 'exec'];
// Workloads without an HTTP or TCP endpoint to probe.
const withoutProbes = new Set(['ostack-load-generator']);

describe.skipIf(skip)(
  `charts/ostack (helm template)${skip ? ': SKIPPED, helm is not on PATH (CI runs it)' : ''}`,
  () => {
    it('helm is on PATH', () => {
      expect(helmFound, 'helm not found on PATH: .ci/k8s/build-helm.sh prints its directory').toBe(true);
    });

    it('lints clean with its defaults and with the test values', () => {
      for (const args of [[], ['--values', testValues], ['--values', testValues, '--values', standins]]) {
        const r = helm(['lint', '--strict', chart, ...args]);
        expect(r.status, r.stdout + r.stderr).toBe(0);
      }
    });

    for (const [label, files] of [
      ['defaults', []],
      ['test values', [testValues]],
      ['test values and CI stand-ins', [testValues, standins]],
    ] as const) {
      describe(label, () => {
        // rendered once, by the first test that needs it (not while vitest collects a skipped suite)
        let objects: Manifest[] = [];
        let workloads: Manifest[] = [];
        beforeAll(() => {
          objects = render([...files]);
          workloads = objects.filter((o) => workloadKinds.has(o.kind) || o.kind === 'CronJob');
        });

        it('hardens every container as compose does, and sizes it', () => {
          expect(workloads.length).toBeGreaterThan(5);
          for (const w of workloads) {
            const pod = podSpecOf(w);
            const where = `${w.kind} ${w.metadata.name}`;
            expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
            expect(pod.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
            for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
              const at = `${where}: ${c.name}`;
              expect(c.securityContext, at).toMatchObject({
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              });
              expect(c.resources?.requests?.memory, at).toBeTruthy();
              expect(c.resources?.limits?.memory, at).toBeTruthy();
              expect(c.imagePullPolicy, at).toBe('IfNotPresent');
            }
          }
        });

        it('probes every long-running container that has an endpoint', () => {
          for (const w of workloads.filter((o) => o.kind !== 'CronJob' && !withoutProbes.has(o.metadata.name))) {
            for (const c of podSpecOf(w).containers) {
              const at = `${w.kind} ${w.metadata.name}: ${c.name}`;
              expect(c.readinessProbe, at).toBeTruthy();
              expect(c.livenessProbe, at).toBeTruthy();
              // the apiserver refuses a probe with two handlers (values merged over the chart's defaults can add one)
              for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean))
                expect(
                  handlers.filter((h) => probe[h] != null),
                  `${at}: one probe handler`,
                ).toHaveLength(1);
            }
          }
          for (const name of ['ostack-order-service', 'ostack-inventory-service']) {
            const [c] = podSpecOf(byName(objects, 'Deployment', name)).containers;
            expect(c.readinessProbe.httpGet.path, name).toBe('/ready');
            expect(c.livenessProbe.httpGet.path, name).toBe('/health');
          }
        });

        it('runs the topology the issue asks for, with a PDB for each tier', () => {
          const replicas = (kind: string, name: string) => byName(objects, kind, `ostack-${name}`).spec.replicas;
          expect(replicas('Deployment', 'order-service')).toBe(2);
          expect(replicas('Deployment', 'inventory-service')).toBe(2);
          expect(replicas('Deployment', 'collector-tier1')).toBeGreaterThanOrEqual(2);
          expect(replicas('Deployment', 'collector-tier2')).toBeGreaterThanOrEqual(2);
          expect(replicas('Deployment', 'jaeger-collector')).toBeGreaterThanOrEqual(2);
          expect(replicas('Deployment', 'jaeger-query')).toBeGreaterThanOrEqual(1);
          expect(replicas('StatefulSet', 'opensearch')).toBe(3);
          const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
          for (const name of ['order-service', 'inventory-service', 'collector-tier1', 'collector-tier2']) {
            expect(pdbs).toContain(`ostack-${name}`);
          }
          expect(pdbs).toEqual(expect.arrayContaining(['ostack-jaeger-collector', 'ostack-opensearch']));
          // tier 1's load_balancing exporter resolves tier 2 through DNS: only a headless Service lists every pod
          expect(byName(objects, 'Service', 'ostack-collector-tier2').spec.clusterIP).toBe('None');
          expect(byName(objects, 'Service', 'ostack-collector-tier1-metrics').spec.clusterIP).toBe('None');
        });

        it('gives each tier-1 pod its name as collector.instance.id, and both tiers the sampling knobs', () => {
          for (const tier of ['ostack-collector-tier1', 'ostack-collector-tier2']) {
            const env: any[] = podSpecOf(byName(objects, 'Deployment', tier)).containers[0].env;
            const get = (n: string) => env.find((e) => e.name === n);
            expect(get('OSTACK_COLLECTOR_INSTANCE_ID')?.valueFrom?.fieldRef?.fieldPath, tier).toBe('metadata.name');
            expect(get('OSTACK_TRACES_SAMPLE_PERCENT')?.value, tier).toBe('100');
          }
        });
      });
    }

    it('runs the images .env names (what compose runs) and the versions CI builds', () => {
      const env = envFile(join(root, '.env'));
      const jaegerGo = envFile(join(root, 'stack', 'jaeger', 'build.env')).JAEGER_GO_VERSION;
      const expected = [
        `otel/opentelemetry-collector-contrib:${env.OTELCOL_VERSION}`,
        `jaegertracing/jaeger:${env.JAEGER_VERSION}`,
        `prom/prometheus:${env.PROMETHEUS_VERSION}`,
        `grafana/loki:${env.LOKI_VERSION}`,
        `grafana/grafana:${env.GRAFANA_VERSION}`,
        `postgres:${env.POSTGRES_IMAGE_TAG}`,
        // Jaeger's v1 numbering of the same release (stack/jaeger/build.env)
        `jaegertracing/jaeger-es-index-cleaner:${jaegerGo?.replace(/^v/, '')}`,
      ];
      const version = JSON.parse(readFileSync(join(root, 'order-service', 'package.json'), 'utf8')).version as string;
      for (const service of ['order-service', 'inventory-service', 'load-generator']) {
        expected.push(`ostack/${service}:${version}`);
      }
      const images = new Set(
        render().flatMap((o) =>
          workloadKinds.has(o.kind) || o.kind === 'CronJob'
            ? [...(podSpecOf(o).initContainers ?? []), ...podSpecOf(o).containers].map((c: any) => c.image as string)
            : [],
        ),
      );
      for (const image of expected) expect([...images], image).toContain(image);
      // OpenSearch is no compose service: its pin is CI's (.ci/k8s/versions.env), where that file names it
      const opensearch = [...images].find((i) => i.startsWith('opensearchproject/opensearch:'));
      expect(opensearch).toBeDefined();
      let versions: Record<string, string> = {};
      try {
        versions = envFile(join(root, '.ci', 'k8s', 'versions.env'));
      } catch {
        // not there yet
      }
      if (versions.OPENSEARCH_VERSION)
        expect(opensearch).toBe(`opensearchproject/opensearch:${versions.OPENSEARCH_VERSION}`);
      const chartYaml = readFileSync(join(chart, 'Chart.yaml'), 'utf8');
      expect(chartYaml).toContain(`appVersion: "${version}"`);
    });

    it('refuses values the schema or the retention rule rule out', () => {
      for (const set of [
        'sampling.percent=150',
        'orderService.replicas=0',
        'collector.tier2.replicas=0',
        'retention.traces=7d',
        'retention.traces=170h', // less than retention.logs (168h) + 27h
      ]) {
        const r = helm(['template', 'ostack', chart, '--set', set]);
        expect(r.status, set).not.toBe(0);
      }
    });

    it('keeps traces at least as long as retention.traces: the index cleaner deletes after ceil(h / 24) + 1 days', () => {
      const days = (traces: string) => {
        const cleaner = byName(render([], [`retention.traces=${traces}`]), 'CronJob', 'ostack-jaeger-index-cleaner');
        return Number(podSpecOf(cleaner).containers[0].args[0]);
      };
      expect(days('216h')).toBe(10);
      expect(days('217h')).toBe(11);
    });
  },
);
