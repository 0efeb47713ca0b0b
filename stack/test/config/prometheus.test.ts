// Static checks of prometheus.yml and Prometheus' compose flags: the four scrape jobs, honor_labels on the
// app metrics, the rule files, retention by time and size, exemplar storage; `promtool check config` (which
// checks the rule files too) with the pinned promtool. The rules themselves: alerts.test.ts.
import { globSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { needsPromtool, promtool } from '../helpers/promtool';
import { readYaml, repoPath } from '../helpers/repo';
import { prometheusDir, ruleFiles, ruleTestFiles } from '../helpers/rules';

const file = 'config_volumes/prometheus/prometheus.yml';
const config = readYaml(file);
const jobs = Object.fromEntries(
  (
    config.scrape_configs as Array<{
      job_name: string;
      honor_labels?: boolean;
      static_configs: Array<{ targets: string[] }>;
    }>
  ).map((j) => [j.job_name, j]),
);
const targetsOf = (job: string) => jobs[job]?.static_configs.flatMap((s) => s.targets);
const prometheus = loadCompose().compose.services.prometheus!;

describe('prometheus.yml', () => {
  it('scrapes app + span metrics with honor_labels, and the Collector, Jaeger and itself', () => {
    expect(targetsOf('otel-collector-apps')).toEqual(['otel-collector:8889']);
    expect(jobs['otel-collector-apps']!.honor_labels).toBe(true);
    expect(targetsOf('otel-collector')).toEqual(['otel-collector:8888']);
    expect(targetsOf('jaeger')).toEqual(['jaeger:8888']);
    expect(targetsOf('prometheus')).toEqual(['localhost:9090']);
    for (const job of ['otel-collector', 'jaeger', 'prometheus']) expect(jobs[job]!.honor_labels, job).toBeFalsy();
  });

  it('stays in the subset Prometheus 2.x also reads', () => {
    expect(Object.keys(config).sort()).toEqual(['global', 'rule_files', 'scrape_configs']);
    for (const job of Object.values(jobs)) expect(job).not.toHaveProperty('scrape_protocols');
  });

  it('loads every rule file (globs relative to prometheus.yml), and none of their unit tests', () => {
    const loaded = (config.rule_files as string[]).flatMap((g) => globSync(g, { cwd: repoPath(prometheusDir) })).sort();
    expect(loaded).toEqual(ruleFiles().map((f) => `rules/${f}`));
    expect(ruleTestFiles().length).toBeGreaterThan(0);
    for (const t of ruleTestFiles()) expect(loaded).not.toContain(`tests/${t}`);
  });

  it.runIf(needsPromtool)('passes promtool check config', () => {
    const { ok, output } = promtool(['check', 'config', repoPath(file)]);
    expect(ok, output).toBe(true);
  });
});

describe('prometheus flags in compose', () => {
  const flags = prometheus.command ?? [];
  const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1];

  it('reads the mounted config and keeps data in the mounted directory', () => {
    expect(flag('config.file')).toBe('/etc/prometheus/prometheus.yml');
    expect(prometheus.volumes).toContain('./config_volumes/prometheus:/etc/prometheus:ro');
    expect(flag('storage.tsdb.path')).toBe('/prometheus');
  });

  it('limits retention by time and by size', () => {
    expect(flag('storage.tsdb.retention.time')).toMatch(/^\d+[dhw]$/);
    expect(flag('storage.tsdb.retention.size')).toMatch(/^\d+(MB|GB)$/);
  });

  it('stores exemplars (span-metric trace_id links)', () => {
    expect(flag('enable-feature')?.split(',')).toContain('exemplar-storage');
  });
});
