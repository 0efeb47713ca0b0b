// Trace retention on the cluster: the chart's CronJob (Jaeger's es-index-cleaner, retention.traces as N days) run
// now, as its schedule runs it, against the suite's OpenSearch: it cuts where the chart says (tomorrow's midnight UTC
// minus N days) and keeps the traces stored today; then, with a cutoff of tomorrow on a scratch index prefix, it
// deletes what is past it through the same URL, image and hardening.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stillMissing } from '../stack/backends';
import { kubectl, kubectlJson } from './kube';
import { closeForwards, forwardTo } from './port-forward';
import { figure } from './run-state';
import { nameOf, release } from './target';

const day = 24 * 3600_000;
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function openSearch(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`OpenSearch ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

const PREFIX = 'ostack-retention-test';
/** Jaeger's indices (`jaeger-*`), or those of an index prefix (`<prefix>-jaeger-*`). */
const jaegerIndices = async (base: string, prefix = '') =>
  (
    (await openSearch(base, 'GET', `/_cat/indices/${prefix ? `${prefix}-` : ''}jaeger-*?format=json&h=index`)) as {
      index: string;
    }[]
  )
    .map((i) => i.index)
    .sort();

afterAll(async () => {
  for (const job of [`${release}-index-cleaner-now`, `${release}-index-cleaner-scratch`])
    await kubectl(['delete', 'job', job, '--ignore-not-found', '--wait=true'], { timeoutMs: 120_000 });
  await closeForwards();
});

/** Runs a Job of the CronJob (`--from`, as its schedule would; or its template with other args) to completion;
 * answers its log lines. */
async function runJob(name: string, cron: any, args?: string[]): Promise<string[]> {
  if (!args) await kubectl(['create', 'job', name, `--from=cronjob/${cron.metadata.name}`]);
  else {
    const { metadata, spec } = structuredClone(cron.spec.jobTemplate);
    spec.template.spec.containers[0].args = args;
    const manifest = join(mkdtempSync(join(tmpdir(), 'ostack-job-')), 'job.json');
    writeFileSync(
      manifest,
      JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { ...metadata, name }, spec }),
    );
    await kubectl(['create', '-f', manifest]);
  }
  const done = await stillMissing(
    `job ${name} succeeded`,
    async () => ((await kubectlJson(['get', 'job', name])).status?.succeeded ? [] : [name]),
    150_000,
  );
  const logs = await kubectl(['logs', `job/${name}`, '--tail=50']).catch((e: Error) => e.message);
  expect(done, `job ${name} did not succeed; its last lines:\n${logs}`).toEqual([]);
  return logs.trim().split('\n');
}

/** The value of `field` in the cleaner's JSON log line whose message is `msg`. */
const logged = (lines: string[], msg: string, field: string) =>
  lines.flatMap((l) => {
    try {
      const entry = JSON.parse(l) as Record<string, unknown>;
      return entry.msg === msg ? [entry[field]] : [];
    } catch {
      return [];
    }
  })[0];

describe('trace retention (the index cleaner CronJob)', () => {
  let cron: any;
  let base = '';
  beforeAll(async () => {
    cron = await kubectlJson(['get', 'cronjob', nameOf('jaeger-index-cleaner')]);
    base = await forwardTo(`svc/${nameOf('opensearch')}`, 9200);
  });

  it('run now as scheduled: cuts at tomorrow’s midnight UTC minus retention.traces’ days, keeps today’s traces', async () => {
    const [days, url] = cron.spec.jobTemplate.spec.template.spec.containers[0].args as string[];
    expect(Number(days), 'the cleaner’s days (retention.traces rounded up to days, plus one)').toBeGreaterThan(1);
    const tomorrow = Date.parse(`${utcDate(Date.now() + day)}T00:00:00Z`);
    const cutoff = new Date(tomorrow - Number(days) * day).toISOString().replace('.000Z', 'Z');
    const today = (await jaegerIndices(base)).filter((i) => i.endsWith(utcDate(Date.now())));
    expect(today, 'the indices Jaeger wrote today').toContain(`jaeger-span-${utcDate(Date.now())}`);

    const started = Date.now();
    const lines = await runJob(`${release}-index-cleaner-now`, cron);
    const after = await jaegerIndices(base);
    figure(
      `index cleaner as scheduled (${days} days, ${url}): ran in ${((Date.now() - started) / 1000).toFixed(0)} s, ` +
        `cutoff ${String(logged(lines, 'Indices before this date will be deleted', 'date'))}; left: ${after.join(', ')}`,
    );
    expect(logged(lines, 'Indices before this date will be deleted', 'date')).toBe(cutoff);
    for (const index of today) expect(after, 'written today').toContain(index);
  });

  it('deletes what is past its cutoff, through the same connection (a scratch prefix, 0 days)', async () => {
    // OpenSearch refuses to back-date an index (index.creation_date is private), so the deletion is proven with a
    // cutoff of tomorrow's midnight on indices of a scratch prefix: the chart's URL, image and hardening, Jaeger's
    // own index filter; the stored traces are not touched.
    const [, url, ...flags] = cron.spec.jobTemplate.spec.template.spec.containers[0].args as string[];
    const scratch = `jaeger-span-${utcDate(Date.now())}`;
    await openSearch(base, 'PUT', `/${PREFIX}-${scratch}`, { settings: { 'index.number_of_replicas': 0 } });
    expect(await jaegerIndices(base, PREFIX)).toEqual([`${PREFIX}-${scratch}`]);
    await runJob(`${release}-index-cleaner-scratch`, cron, ['0', url!, ...flags, `--index-prefix=${PREFIX}`]);
    expect(await jaegerIndices(base, PREFIX), 'scratch indices left').toEqual([]);
    expect(await jaegerIndices(base), 'today’s traces kept').toContain(scratch);
  });
});
