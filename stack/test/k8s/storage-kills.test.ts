// 6. Storage side. An OpenSearch node killed: Jaeger query still returns every trace stored before (the whole
// traces of traces.test.ts), each whole, while the node is gone (one replica per shard, three master-eligible
// nodes: a quorum remains). A Jaeger collector killed under traffic: the spans lost are no more than tier 2, their
// sender, counted as failed (sent and not retried, or refused by its full queue); tier 2 retries the rest.
import { afterAll, describe, expect, it } from 'vitest';
import { busiest, counter } from './figures';
import { type Holding, lookUp, tally, trace } from './jaeger';
import { kubectlJson } from './kube';
import { closeForwards, forwardTo } from './port-forward';
import { killPod, pods, readyPods, waitReplicas } from './pods';
import { figure, recall } from './run-state';
import { scrape } from './scrape';
import { traceIdInShare } from '../helpers/share';
import { planTrace, type SyntheticTrace } from './synthetic-traces';
import { DECISION_WAIT_MS, nameOf, SHARE } from './target';
import { traceStream } from './trace-stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let openSearchBack: Promise<unknown> = Promise.resolve();

afterAll(async () => {
  const back = await openSearchBack;
  await closeForwards();
  if (back instanceof Error) throw back;
}, 320_000);

describe('an OpenSearch node killed', () => {
  it('Jaeger query still returns every stored trace, whole', async () => {
    const stored = recall<SyntheticTrace[]>('storedTraces') ?? [];
    expect(stored.length, 'traces stored by traces.test.ts').toBeGreaterThan(500);
    const replicas = (await kubectlJson(['get', 'statefulset', nameOf('opensearch')])).spec.replicas as number;
    const [victim] = await readyPods('opensearch');
    expect(victim).toBeDefined();
    const killedAt = await killPod(victim!.name);
    const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
    const held = await lookUp(jaeger, stored, () => true, 90_000);
    const readAt = Date.now();
    const back = (await pods('opensearch')).find((p) => p.name === victim!.name)?.ready ?? false;
    figure(
      `OpenSearch node ${victim!.name} killed: ${stored.length} stored traces read back ${seconds(readAt - killedAt)} ` +
        `after, the node ${back ? 'already back (Ready)' : 'still away'}: ${JSON.stringify(tally(stored, held))}`,
    );
    const notWhole = stored.filter((t) => held.get(t.traceId) !== 'whole');
    expect(notWhole.slice(0, 20).map((t) => `${t.traceId} ${held.get(t.traceId)}`)).toEqual([]);
    // back to every node before the file ends (the next test writes meanwhile, on the two left)
    openSearchBack = waitReplicas('opensearch', replicas, 300_000).catch((err: Error) => err);
  }, 400_000);
});

describe('a Jaeger collector killed under traffic', () => {
  /** Spans tier 2 gave up on, per pod: failed sends (after retries) and items its full queue refused. */
  const failedByTier2 = async () => {
    const out = new Map<string, number>();
    for (const p of await readyPods('collector-tier2')) {
      const s = await scrape(p.name, 8888);
      out.set(
        p.name,
        counter(s, 'otelcol_exporter_send_failed_spans') + counter(s, 'otelcol_exporter_enqueue_failed_spans'),
      );
    }
    return out;
  };

  it('loses no span beyond what its sender (tier 2) reports it could not retry', async () => {
    const jaegerCollectors = await readyPods('jaeger-collector');
    expect(jaegerCollectors.length, 'Jaeger collectors').toBeGreaterThanOrEqual(2);
    const failedBefore = await failedByTier2();
    const prefix = `k8s-${Date.now().toString(36)}-jkill`;
    // in the share: tier 2 keeps every one, so each span must reach Jaeger
    const stop = traceStream({ prefix, newTrace: () => planTrace(traceIdInShare(true, SHARE), prefix), spreadMs: 500 });
    // tier 2 holds each trace for decision_wait before it sends it on: spans reach Jaeger only after that
    await sleep(DECISION_WAIT_MS + 5_000);
    // the Jaeger collector tier 2's connections reach (gRPC: a connection sticks to one pod)
    const victim = await busiest('jaeger-collector', 5_000);
    expect(victim.spans, `spans at ${victim.pod} before the kill`).toBeGreaterThan(0);
    const killedAt = await killPod(victim.pod);
    await waitReplicas('jaeger-collector', jaegerCollectors.length, 120_000);
    await sleep(5_000);
    const sent = await stop();
    const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
    const held: Map<string, Holding> = await lookUp(jaeger, sent, (t) => t.accepted, 90_000);
    const failedAfter = await failedByTier2();
    const gaveUp = [...failedAfter].reduce((n, [pod, v]) => n + v - (failedBefore.get(pod) ?? 0), 0);
    // spans missing from Jaeger: of traces not whole, the planned spans it does not have (partial ones re-read)
    const notWhole = sent.filter((t) => t.accepted && held.get(t.traceId) !== 'whole');
    const lostSpans = notWhole.length === 0 ? 0 : await missingSpans(jaeger, notWhole);
    figure(
      `Jaeger collector killed: ${sent.length} traces (${sent.length * 6} spans) sent, ${lostSpans} spans lost, ` +
        `${gaveUp} spans tier 2 counted as failed, the replacement Ready ${seconds(Date.now() - killedAt)} after the kill ` +
        `(at most): ${JSON.stringify(tally(sent, held))}`,
    );
    expect(sent.filter((t) => !t.accepted).length, 'parts tier 1 refused').toBe(0);
    expect(lostSpans, `spans lost vs ${gaveUp} tier 2 could not retry`).toBeLessThanOrEqual(gaveUp);
  }, 300_000);
});

/** How many planned spans of these traces Jaeger does not have. */
async function missingSpans(jaeger: string, traces: SyntheticTrace[]): Promise<number> {
  let missing = 0;
  for (const t of traces) {
    const found = new Set((await trace(jaeger, t.traceId).catch(() => undefined))?.spans.map((s) => s.spanID) ?? []);
    missing += t.spans.filter((s) => !found.has(s.spanId)).length;
  }
  return missing;
}
