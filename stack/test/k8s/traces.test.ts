// 2. No trace is split: 3350 synthetic traces sent through both tier-1 pods (each trace's services divided between
//    them), every trace Jaeger keeps is whole. Most of them are built so that a split would show: kept for an error
//    or a latency that only one pod's part carries, while the other part alone would be dropped.
// 3. At a share of 20 %: every error and every slow trace kept, the others exactly by the trace-id rule (so within 3
//    points of 20 %), and span metrics, summed over the tier-1 pods, count every span sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promQuery, stillMissing } from '../stack/backends';
import { memoryLine, podMemory, spanThroughput } from './figures';
import { type Holding, lookUp, tally } from './jaeger';
import { kubectlJson } from './kube';
import { closeForwards, forwardTo } from './port-forward';
import { readyPods } from './pods';
import { figure, remember } from './run-state';
import { inShare, randomTraceId, traceIdInShare } from '../helpers/share';
import { planTrace, sendTraces, spansPerService, type SyntheticTrace } from './synthetic-traces';
import { nameOf, SHARE, SLOW_MS } from './target';

const ERRORS = 1200; // outside the share: kept for store's error alone
const SLOW = 150; // outside the share: kept for edge + store's 616 ms, each pod's part alone is fast
const OTHERS = 2000; // fast, successful, random ids: the share
// Binomial: n = 2000, p = 0.2 gives a standard deviation of 0.89 points; 3 points is 3.4 of them.
const TOLERANCE_POINTS = 3;
const prefix = `k8s-${Date.now().toString(36)}-split`;

const planned: SyntheticTrace[] = [
  ...Array.from({ length: ERRORS }, () => planTrace(traceIdInShare(false, SHARE), prefix, { error: true })),
  ...Array.from({ length: SLOW }, () => planTrace(traceIdInShare(false, SHARE), prefix, { slow: true })),
  ...Array.from({ length: OTHERS }, () => planTrace(randomTraceId(), prefix)),
];
const mustKeep = (t: SyntheticTrace) => t.error || t.slow || inShare(t.traceId, SHARE);
let tier1: string[] = [];
let held = new Map<string, Holding>();

/** The environment variable `name` of a Deployment's first container. */
async function envOf(deployment: string, name: string): Promise<string | undefined> {
  const d = await kubectlJson(['get', 'deployment', deployment]);
  return (d.spec.template.spec.containers[0].env as { name: string; value?: string }[] | undefined)?.find(
    (e) => e.name === name,
  )?.value;
}

beforeAll(async () => {
  tier1 = (await readyPods('collector-tier1')).map((p) => p.name);
  const endpoints = await Promise.all(tier1.map((pod) => forwardTo(`pod/${pod}`, 4318)));
  const rates = await spanThroughput();
  for (let i = 0; i < planned.length; i += 100) await sendTraces(planned.slice(i, i + 100), endpoints);
  figure(
    memoryLine('under load (3350 traces just sent, tier 2 holding them)', await podMemory().catch(() => new Map())),
  );
  const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
  held = await lookUp(jaeger, planned, mustKeep, 120_000);
  figure(await rates());
  remember(
    'storedTraces',
    planned.filter((t) => held.get(t.traceId) === 'whole'),
  );
}, 300_000);

afterAll(closeForwards);

describe('traces through two tiers at a share of 20 %', () => {
  it('runs both tiers at the share and slow threshold the install set', async () => {
    for (const tier of ['collector-tier1', 'collector-tier2'] as const) {
      expect(await envOf(nameOf(tier), 'OSTACK_TRACES_SAMPLE_PERCENT'), tier).toBe(String(SHARE));
      expect(await envOf(nameOf(tier), 'OSTACK_TRACES_SLOW_MS'), tier).toBe(String(SLOW_MS));
    }
  });

  it('sent at least 1000 traces through both tier-1 pods, every part accepted', () => {
    expect(tier1.length).toBeGreaterThanOrEqual(2);
    expect(planned.length).toBeGreaterThanOrEqual(1000);
    expect(planned.filter((t) => !t.accepted).length).toBe(0);
  });

  it('splits no trace: every trace Jaeger has is whole, all its spans, each once', () => {
    const counts = tally(planned, held);
    const broken = planned.filter((t) => ['partial', 'duplicated'].includes(held.get(t.traceId)!));
    expect(
      broken
        .slice(0, 20)
        .map((t) => `${t.traceId} ${held.get(t.traceId)}${t.error ? ' error' : ''}${t.slow ? ' slow' : ''}`),
      JSON.stringify(counts),
    ).toEqual([]);
  });

  it('keeps every error trace and every slow trace', () => {
    const lost = planned.filter((t) => (t.error || t.slow) && held.get(t.traceId) !== 'whole');
    expect(lost.length, JSON.stringify(tally(lost, held))).toBe(0);
  });

  it('keeps the others exactly by the trace-id rule, within 3 points of 20 %', () => {
    const others = planned.filter((t) => !t.error && !t.slow);
    const wrong = others.filter((t) => (held.get(t.traceId) !== 'missing') !== inShare(t.traceId, SHARE));
    expect(wrong.slice(0, 20).map((t) => `${t.traceId} ${held.get(t.traceId)}`)).toEqual([]);
    const share = (100 * others.filter((t) => held.get(t.traceId) !== 'missing').length) / others.length;
    figure(`sampling: kept ${share.toFixed(1)} % of ${others.length} other traces at a share of ${SHARE} %`);
    expect(Math.abs(share - SHARE), `kept ${share.toFixed(1)} %`).toBeLessThanOrEqual(TOLERANCE_POINTS);
  });

  it('counts every span in span metrics, summed over the tier-1 pods', async () => {
    const prometheus = await forwardTo(`svc/${nameOf('prometheus')}`, 9090);
    const expected = spansPerService(planned);
    const calls = `traces_span_metrics_calls_total{service_name=~"${prefix}-.*"}`;
    const wrong = async () => {
      const counted = new Map(
        (await promQuery(prometheus, `sum by (service_name) (${calls})`)).map((s) => [
          s.metric.service_name!,
          Number(s.value[1]),
        ]),
      );
      return [...expected]
        .filter(([service, n]) => counted.get(service) !== n)
        .map(([service, n]) => `${service}: ${counted.get(service) ?? 'none'} counted, ${n} sent`);
    };
    expect(await stillMissing('span-metric counts equal to the spans sent', wrong, 90_000)).toEqual([]);
    // each tier-1 pod counted its own part, as a series of its own
    const pods = await promQuery(prometheus, `count by (collector_instance_id) (${calls})`);
    expect(pods.map((s) => s.metric.collector_instance_id).sort()).toEqual([...tier1].sort());
  }, 120_000);
});
