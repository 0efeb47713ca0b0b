// 4. A Collector pod killed under traffic.
// Tier 2: a stream of traces (outside the share, kept for an error on one part only: a trace split or cut short
// shows) while one tier-2 pod is killed. What may be lost is what was in flight at it: traces whose spans it held
// undecided (decision_wait, 10 s) plus its batch (2 s) and the stream's spread (2 s) before the kill, and those
// routed to it until every tier-1 pod had dropped it and taken its replacement in (read from their own
// load-balancing metrics), plus the spread. Every trace outside that window must be whole; those lost inside it are
// counted and printed; the bound is the number of traces sent inside it.
// Tier 1: requests through order-service while a tier-1 pod is killed: none fails (exports are asynchronous). Lost:
// the services' spans in the killed pod's hands or in an SDK export to it: traces started within the SDKs' batch
// delay (5 s) plus tier 1's batch (2 s) and 2 s before the kill, up to the SDK's export timeout (10 s) plus a batch
// after it. Outside that window every trace must be whole; the lost ones are counted, printed and bounded by it.
import { afterAll, describe, expect, it } from 'vitest';
import { serviceUrl, stopProxy } from './api-proxy';
import { busiest } from './figures';
import { holding, lookUp, tally, trace, type JaegerTrace } from './jaeger';
import { pool } from '../helpers/pool';
import { closeForwards, forwardTo } from './port-forward';
import { killPod, readyPods, waitReplicas } from './pods';
import { type Answered, describeFailures, requestLoop } from './requests';
import { figure, remember } from './run-state';
import { traceIdInShare } from '../helpers/share';
import { planTrace, type SyntheticTrace } from './synthetic-traces';
import { DECISION_WAIT_MS, nameOf, SDK_BATCH_MS, SHARE } from './target';
import { ringViews, traceStream, whenAllSee } from './trace-stream';

const SPREAD_MS = 1_000; // the stream sends a trace's parts 0, 1 and 2 s after its start
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

afterAll(async () => {
  stopProxy();
  await closeForwards();
});

describe('a tier-2 pod killed under traffic', () => {
  const prefix = `k8s-${Date.now().toString(36)}-t2kill`;
  let sent: SyntheticTrace[] = [];
  let window = { from: 0, to: 0 };
  let held = new Map<string, ReturnType<typeof holding>>();

  it('loses only traces in flight at the killed pod, and no more than were sent in that window', async () => {
    remember('killsStartedAt', Date.now());
    const [victim] = await readyPods('collector-tier2');
    expect(victim, 'a Ready tier-2 pod').toBeDefined();
    const stop = traceStream({
      prefix,
      newTrace: () => planTrace(traceIdInShare(false, SHARE), prefix, { error: true }),
      spreadMs: SPREAD_MS,
    });
    // Long enough before the kill that the first traces are decided and gone from tier 2 when it dies.
    await sleep(DECISION_WAIT_MS + 10_000);
    const views = await ringViews();
    const killedAt = await killPod(victim!.name);
    // tier 1 drops the killed pod, then takes its replacement in: the ring is whole again
    const replacement = await waitReplicas('collector-tier2', 2, 120_000);
    const settledAt = await whenAllSee(replacement.length, views);
    await sleep(8_000); // traces after the ring settled, which must all be whole
    sent = await stop();
    window = {
      from: killedAt - DECISION_WAIT_MS - 2_000 - 2 * SPREAD_MS - 2_000,
      to: settledAt + 2 * SPREAD_MS + 1_000,
    };
    const outside = (t: SyntheticTrace) => t.sentAt < window.from || t.sentAt > window.to;
    const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
    held = await lookUp(jaeger, sent, (t) => t.accepted && outside(t), 90_000);

    const inWindow = sent.filter((t) => !outside(t));
    const lostIn = inWindow.filter((t) => held.get(t.traceId) !== 'whole');
    const lostOut = sent.filter((t) => outside(t) && held.get(t.traceId) !== 'whole');
    figure(
      `tier-2 kill: ${sent.length} traces sent; ring whole again ${seconds(settledAt - killedAt)} after the kill; ` +
        `${lostIn.length} lost of ${inWindow.length} sent in the window ` +
        `(${seconds(window.from - killedAt)} .. +${seconds(window.to - killedAt)}): ${JSON.stringify(tally(lostIn, held))}`,
    );
    expect(sent.filter((t) => !t.accepted).length, 'parts tier 1 refused').toBe(0);
    expect(sent.filter(outside).length, 'traces outside the window').toBeGreaterThan(50);
    expect(
      lostOut.slice(0, 20).map((t) => `${t.traceId} sent at ${seconds(t.sentAt - killedAt)}: ${held.get(t.traceId)}`),
      `lost outside the window: ${JSON.stringify(tally(lostOut, held))}`,
    ).toEqual([]);
    expect(lostIn.length).toBeLessThanOrEqual(inWindow.length);
  }, 240_000);
});

describe('a tier-1 pod killed under traffic', () => {
  let answers: Answered[] = [];

  /** Both services' spans are there, each once, and every parent but the client's is in the trace. */
  const whole = (t: JaegerTrace | undefined, a: Answered) => {
    if (!t) return false;
    const ids = t.spans.map((s: any) => s.spanID as string);
    const services = new Set(t.spans.map((s) => t.processes[s.processID]?.serviceName));
    const parents = t.spans.flatMap((s: any) =>
      (s.references ?? []).filter((r: any) => r.refType === 'CHILD_OF').map((r: any) => r.spanID as string),
    );
    const dangling = parents.filter((p) => !ids.includes(p) && p !== a.parentSpanId);
    return (
      services.has('order-service') &&
      services.has('inventory-service') &&
      new Set(ids).size === ids.length &&
      dangling.length === 0
    );
  };

  it('fails no request; loses telemetry only around the kill, counted and bounded', async () => {
    const base = await serviceUrl(nameOf('order-service'), 8000);
    const stop = requestLoop(base, 2, 100);
    await sleep(SDK_BATCH_MS + 4_000);
    // the tier-1 pod the services' exports reach now (their connections may all go to one)
    const victim = await busiest('collector-tier1', SDK_BATCH_MS + 1_000);
    expect(victim.spans, `spans at ${victim.pod} before the kill`).toBeGreaterThan(0);
    const killedAt = await killPod(victim.pod);
    await waitReplicas('collector-tier1', 2, 120_000);
    await sleep(15_000);
    answers = await stop();
    expect(describeFailures(answers), 'requests that failed').toEqual([]);

    const window = { from: killedAt - SDK_BATCH_MS - 2_000 - 2_000, to: killedAt + 10_000 + SDK_BATCH_MS + 2_000 };
    const outside = (a: Answered) => a.at < window.from || a.at > window.to;
    const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
    // every trace outside the window whole (polled: the SDKs export every 5 s, tier 2 decides after 10 s)
    const found = new Map<string, JaegerTrace | undefined>();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const pending = answers.filter((a) => !whole(found.get(a.traceId), a));
      for (const [a, t] of await pool(
        pending,
        8,
        async (a) => [a, await trace(jaeger, a.traceId).catch(() => undefined)] as const,
      ))
        found.set(a.traceId, t);
      if (answers.every((a) => !outside(a) || whole(found.get(a.traceId), a)) || Date.now() > deadline) break;
      await sleep(2_000);
    }
    const lostIn = answers.filter((a) => !outside(a) && !whole(found.get(a.traceId), a));
    const lostOut = answers.filter((a) => outside(a) && !whole(found.get(a.traceId), a));
    const inWindow = answers.filter((a) => !outside(a)).length;
    figure(
      `tier-1 kill: ${answers.length} requests, none failed; ${lostIn.length} traces lost or cut of ${inWindow} ` +
        `started in the window (${seconds(window.from - killedAt)} .. +${seconds(window.to - killedAt)})`,
    );
    expect(answers.filter(outside).length, 'requests outside the window').toBeGreaterThan(50);
    expect(
      lostOut.map((a) => `${a.traceId} at ${seconds(a.at - killedAt)}`),
      'lost outside the window',
    ).toEqual([]);
    expect(lostIn.length).toBeLessThanOrEqual(inWindow);
  }, 240_000);
});
