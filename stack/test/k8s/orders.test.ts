// 1. Orders through the order-service Service reach both replicas (two service.instance.id in their traces in
// Jaeger), span metrics count each of them, every answer agrees with the order PostgreSQL stored, and the
// invariants hold. Each order's trace id is in the sampling share, so Jaeger keeps it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disagreement } from '../../../order-service/test/outcomes';
import { eventually, promQuery, stillMissing } from '../stack/backends';
import { stopProxy, serviceUrl } from './api-proxy';
import { trace } from './jaeger';
import { pool } from '../helpers/pool';
import { closeForwards, forwardTo } from './port-forward';
import { readyPods } from './pods';
import { brokenInvariants, orders } from './postgres';
import { type Answered, request } from './requests';
import { nameOf } from './target';

const ORDERS = 40;
let answers: Answered[] = [];

beforeAll(async () => {
  const base = await serviceUrl(nameOf('order-service'), 8000);
  // Products 1..5 in turn: the Laptop (8 in stock) runs out, so some orders are refused for stock.
  answers = await pool(
    Array.from({ length: ORDERS }, (_, i) => i),
    4,
    (i) =>
      request(base, 'POST', '/order-product', {
        username: 'k8s-suite',
        product_id: 1 + (i % 5),
        quantity: 1 + (i % 2),
      }),
  );
});

afterAll(async () => {
  stopProxy();
  await closeForwards();
});

describe('orders through the order-service Service', () => {
  it('answers every order: placed (201) or refused for stock (409)', () => {
    const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 409);
    expect(unexpected.map((a) => `${a.status || a.error} ${JSON.stringify(a.body)}`)).toEqual([]);
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThan(ORDERS / 2);
  });

  it('reaches both order-service replicas: two service.instance.id in the orders’ traces', async () => {
    const replicas = (await readyPods('order-service')).map((p) => p.name);
    expect(replicas.length, 'order-service replicas').toBeGreaterThanOrEqual(2);
    const jaeger = await forwardTo(`svc/${nameOf('jaeger-query')}`, 16686);
    const instances = new Set<string>();
    const podNames = new Set<string>();
    const seen = new Set<string>();
    await eventually(
      'the orders’ traces from every order-service replica',
      async () => {
        for (const a of answers.filter((x) => !seen.has(x.traceId))) {
          const t = await trace(jaeger, a.traceId);
          if (!t) continue;
          seen.add(a.traceId);
          for (const span of t.spans) {
            const process = t.processes[span.processID];
            if (process?.serviceName !== 'order-service') continue;
            const tag = (key: string) => process.tags?.find((x) => x.key === key)?.value;
            if (typeof tag('service.instance.id') === 'string') instances.add(tag('service.instance.id') as string);
            if (typeof tag('k8s.pod.name') === 'string') podNames.add(tag('k8s.pod.name') as string);
          }
        }
        return instances.size >= replicas.length ? true : undefined;
      },
      90_000,
    ).catch(() => undefined);
    const where = `in ${seen.size}/${answers.length} traces: ${[...instances].join(', ')}`;
    expect(instances.size, `order-service instances ${where}`).toBeGreaterThanOrEqual(replicas.length);
    // and the pods they ran in (the chart's k8s.pod.name): each replica
    expect([...podNames].sort(), 'k8s.pod.name of the order-service spans').toEqual([...replicas].sort());
  }, 120_000);

  it('counts every order in span metrics, summed over the tier-1 pods', async () => {
    const prometheus = await forwardTo(`svc/${nameOf('prometheus')}`, 9090);
    const calls =
      'sum(traces_span_metrics_calls_total{service_name="order-service", span_name="POST /order-product", ' +
      'span_kind="SPAN_KIND_SERVER"})';
    const counted = async () => Number((await promQuery(prometheus, calls))[0]?.value[1] ?? 0);
    await eventually(
      `${ORDERS} orders counted`,
      async () => ((await counted()) >= ORDERS ? true : undefined),
      60_000,
    ).catch(() => undefined);
    expect(await counted()).toBe(ORDERS);
  }, 90_000);

  it('stores what it answered, and the PostgreSQL invariants hold', async () => {
    const stored = new Map((await orders()).map((o) => [o.idempotency_key, o]));
    const disagreeing = answers.flatMap((a) => {
      const why = disagreement({ status: a.status, body: a.body ?? {} }, stored.get(a.key) as any);
      return why ? [`${a.key}: ${why}`] : [];
    });
    expect(disagreeing).toEqual([]);
    // The reconciler settles anything left pending: give it its bound before reading the invariants.
    expect(await stillMissing('the PostgreSQL invariants', brokenInvariants, 30_000)).toEqual([]);
  });
});
