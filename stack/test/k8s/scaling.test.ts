// 5. Tier 2 scaled from 2 to 3 pods under traffic (`helm upgrade --reuse-values`, the chart's knob): the new pod
// gets traces within 60 s, and no trace started after every tier-1 pod reports three backends (their own
// otelcol_loadbalancer_num_backends, read from each pod, polled) is split. The traces are kept for an error on one
// part only, outside the share: a split one would arrive cut.
import { afterAll, describe, expect, it } from 'vitest';
import { counter } from './figures';
import { lookUp, tally } from './jaeger';
import { helm } from './kube';
import { closeForwards, forwardTo } from './port-forward';
import { readyPods } from './pods';
import { figure } from './run-state';
import { scrape } from './scrape';
import { traceIdInShare } from '../helpers/share';
import { planTrace } from './synthetic-traces';
import { chartDir, nameOf, release, SHARE } from './target';
import { traceStream, whenAllSee } from './trace-stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

afterAll(closeForwards);

describe('tier 2 scaled from 2 to 3 under traffic', () => {
  it('the new pod gets traces within 60 s; no trace started after tier 1 sees three backends is split', async () => {
    const before = new Set((await readyPods('collector-tier2')).map((p) => p.name));
    expect(before.size, 'tier-2 pods before').toBe(2);
    const prefix = `k8s-${Date.now().toString(36)}-scale`;
    const stop = traceStream({
      prefix,
      newTrace: () => planTrace(traceIdInShare(false, SHARE), prefix, { error: true }),
      spreadMs: 1_000,
    });
    await sleep(3_000);
    const scaledAt = Date.now();
    await helm(['upgrade', release, chartDir, '--reuse-values', '--set', 'collector.tier2.replicas=3']);
    // the new pod, Ready
    let newPod = '';
    while (!newPod && Date.now() - scaledAt < 120_000) {
      newPod = (await readyPods('collector-tier2')).find((p) => !before.has(p.name))?.name ?? '';
      if (!newPod) await sleep(1_000);
    }
    expect(newPod, 'a third tier-2 pod, Ready within 120 s').not.toBe('');
    const threeAt = await whenAllSee(3);
    // the new pod's first spans, from its own receiver's count
    let gotAt = 0;
    while (!gotAt && Date.now() - scaledAt < 90_000) {
      const accepted = counter(await scrape(newPod, 8888).catch(() => []), 'otelcol_receiver_accepted_spans');
      if (accepted > 0) gotAt = Date.now();
      else await sleep(1_000);
    }
    await sleep(10_000);
    const sent = await stop();
    const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
    const after = sent.filter((t) => t.sentAt > threeAt);
    const held = await lookUp(jaeger, sent, (t) => t.accepted && t.sentAt > threeAt, 90_000);
    const cut = after.filter((t) => held.get(t.traceId) !== 'whole');
    const before3 = sent.filter((t) => t.sentAt <= threeAt);
    figure(
      `scaling tier 2 to 3: new pod's first spans ${gotAt ? seconds(gotAt - scaledAt) : 'never'} after the upgrade, ` +
        `every tier-1 pod on 3 backends after ${seconds(threeAt - scaledAt)}; traces started before: ` +
        `${JSON.stringify(tally(before3, held))}, after: ${JSON.stringify(tally(after, held))}`,
    );
    expect(gotAt, 'the new pod received spans').toBeGreaterThan(0);
    expect(gotAt - scaledAt).toBeLessThanOrEqual(60_000);
    expect(sent.filter((t) => !t.accepted).length, 'parts tier 1 refused').toBe(0);
    expect(after.length, 'traces started after tier 1 saw three backends').toBeGreaterThan(100);
    expect(
      cut.slice(0, 20).map((t) => `${t.traceId} ${held.get(t.traceId)}`),
      JSON.stringify(tally(cut, held)),
    ).toEqual([]);
  }, 240_000);
});
