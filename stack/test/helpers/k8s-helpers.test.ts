// The Kubernetes suite's own helpers (stack/test/k8s), checked without a cluster: the synthetic traces would show a
// split (each tier-1 pod's part alone is neither an error trace nor a slow one, the whole is), the sender divides
// every trace between two OTLP endpoints (two loopback receivers here), the share rule is the Collector's, and the
// metrics parser reads the Collector's exposition format.
import { OtlpReceiver } from '@ostack/test-support/otlp-receiver';
import { afterAll, describe, expect, it } from 'vitest';
import { holding } from '../k8s/jaeger';
import { parseExposition } from '../k8s/scrape';
import { inShare, traceIdInShare } from './share';
import { planTrace, sendTraces, SERVICES, type PlannedSpan } from '../k8s/synthetic-traces';
import { SLOW_MS } from '../k8s/target';

const duration = (spans: PlannedSpan[]) =>
  Math.max(...spans.map((s) => s.endMs)) - Math.min(...spans.map((s) => s.startMs));
/** The parts one tier-1 pod gets: edge and store, or middle. */
const parts = (spans: PlannedSpan[]) => [
  spans.filter((s) => s.service !== 'middle'),
  spans.filter((s) => s.service === 'middle'),
];

describe('synthetic traces', () => {
  it('a slow trace is slow only whole: each pod’s part alone is fast, one part is slower than the threshold', () => {
    const t = planTrace(traceIdInShare(false, 20), 'p', { slow: true });
    expect(duration(t.spans)).toBeGreaterThan(SLOW_MS);
    const [withStore, middle] = parts(t.spans);
    expect(duration(withStore!)).toBeGreaterThan(SLOW_MS);
    expect(duration(middle!)).toBeLessThan(SLOW_MS);
    expect(duration(planTrace(traceIdInShare(false, 20), 'p').spans)).toBeLessThan(SLOW_MS);
  });

  it('an error trace has its error on one part only', () => {
    const [withStore, middle] = parts(planTrace(traceIdInShare(false, 20), 'p', { error: true }).spans);
    expect(withStore!.filter((s) => s.error)).toHaveLength(1);
    expect(middle!.filter((s) => s.error)).toHaveLength(0);
  });

  it('picks trace ids inside and outside the share by the Collector’s rule', () => {
    expect(inShare('00000000000000000000000000000000', 20)).toBe(true);
    expect(inShare(`000000000000000000${'f'.repeat(14)}`, 20)).toBe(false);
    // 0x33.. is 20 % of 2^56 (rounded down): just below is in, at it is out
    expect(inShare(`000000000000000000${'33333333333333'}`, 20)).toBe(true);
    expect(inShare(`000000000000000000${'33333333333334'}`, 20)).toBe(false);
    for (let i = 0; i < 50; i++) {
      expect(inShare(traceIdInShare(true, 20), 20)).toBe(true);
      expect(inShare(traceIdInShare(false, 20), 20)).toBe(false);
    }
  });
});

describe('sendTraces', () => {
  const receivers = [new OtlpReceiver(), new OtlpReceiver()];
  afterAll(() => Promise.all(receivers.map((r) => r.stop())));

  it('divides every trace between both endpoints, middle apart from edge and store, every span once', async () => {
    const endpoints = await Promise.all(receivers.map((r) => r.start()));
    const traces = Array.from({ length: 7 }, () => planTrace(traceIdInShare(true, 20), 'k8s-x'));
    await sendTraces(traces, endpoints, 20);
    expect(traces.every((t) => t.accepted)).toBe(true);
    const spansAt = receivers.map((r) =>
      r
        .resources('traces')
        .flatMap((rs: any) =>
          rs.scopeSpans.flatMap((ss: any) =>
            ss.spans.map((s: any) => ({ service: rs.resource.attributes[0].value.stringValue as string, ...s })),
          ),
        ),
    );
    for (const t of traces) {
      const at = spansAt.map((spans) => spans.filter((s: any) => s.traceId === t.traceId));
      expect(at.map((spans) => spans.length).sort()).toEqual([2, 4]);
      const middleAt = at.findIndex((spans) => spans.some((s: any) => s.service === 'k8s-x-middle'));
      expect(at[middleAt]!.every((s: any) => s.service === 'k8s-x-middle')).toBe(true);
      expect(new Set(at.flat().map((s: any) => s.spanId)).size).toBe(6);
    }
    expect(SERVICES).toHaveLength(3);
  });

  it('judges what Jaeger holds: whole, partial, duplicated or missing', () => {
    const t = planTrace(traceIdInShare(true, 20), 'k8s-x');
    const jaeger = (ids: string[]) => ({
      traceID: t.traceId,
      processes: {},
      spans: ids.map((spanID) => ({ traceID: t.traceId, spanID, processID: 'p1', operationName: '', tags: [] })),
    });
    const ids = t.spans.map((s) => s.spanId);
    expect(holding(t, jaeger(ids))).toBe('whole');
    expect(holding(t, jaeger(ids.slice(1)))).toBe('partial');
    expect(holding(t, jaeger([...ids, ids[0]!]))).toBe('duplicated');
    expect(holding(t, undefined)).toBe('missing');
  });
});

describe('parseExposition', () => {
  it('reads names, labels and values, OpenMetrics exemplars and comments aside', () => {
    const samples = parseExposition(
      [
        '# HELP otelcol_loadbalancer_num_backends Current number of backends in use.',
        '# TYPE otelcol_loadbalancer_num_backends gauge',
        'otelcol_loadbalancer_num_backends{otel_scope_name="lb",resolver="dns"} 3',
        'otelcol_receiver_accepted_spans_total{receiver="otlp",transport="http"} 1.2e+06',
        'traces_span_metrics_calls_total{service_name="a \\"b\\"",span_name="GET /x"} 7 # {trace_id="ab"} 1 1.7e9',
        'up 1',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'otelcol_loadbalancer_num_backends', labels: { otel_scope_name: 'lb', resolver: 'dns' }, value: 3 },
      { name: 'otelcol_receiver_accepted_spans_total', labels: { receiver: 'otlp', transport: 'http' }, value: 1.2e6 },
      { name: 'traces_span_metrics_calls_total', labels: { service_name: 'a \\"b\\"', span_name: 'GET /x' }, value: 7 },
      { name: 'up', labels: {}, value: 1 },
    ]);
  });
});
