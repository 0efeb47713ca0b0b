// Every PromQL the stack ships (rules, dashboards, Grafana's trace-to-metrics links) answers the same with one
// Collector or several. What the Collector's prometheus exporter serves carries collector_instance_id, one value
// per exporting instance (the tier-1 pod on Kubernetes), so a replica whose export moved to another instance has
// two series for a while: the old one frozen at its last value until the exporter's metric_expiration (5m), the
// new one continuing. A counter is read as rate()/increase() per series and then summed (the frozen series adds
// nothing, the new one starts at the old count: no reset); a gauge is first reduced to one value per replica with
// max or min (a sum or a count would take it twice). The promtool tests (prometheus/tests/collector-instances)
// prove the rules' results on such series.
import { describe, expect, it } from 'vitest';
import { datasources, queries } from '../helpers/grafana';
import { knownMetrics } from '../helpers/metrics';
import { allRules, recordedMetrics } from '../helpers/rules';

/** Metrics that reach Prometheus through the exporter: not the Collector's own (otelcol_*), up, or recorded ones. */
const viaExporter = [...knownMetrics].filter(
  (m) => !m.startsWith('otelcol_') && m !== 'up' && !recordedMetrics().includes(m),
);
/** Counters and histograms' parts (db_client_connection_count is a gauge: no _bucket goes with it). */
const isCounter = (m: string) =>
  m.endsWith('_total') || (/_(bucket|sum|count)$/.test(m) && knownMetrics.has(m.replace(/_(sum|count)$/, '_bucket')));

/** The expression without strings and whitespace: `sum by (a) (rate(x[1m]))` -> `sumby(a)(rate(x[1m]))`. */
const squeeze = (expr: string) => expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\s+/g, '');

const grouping = '(?:(?:by|without)\\([^()]*\\))?';
const counterRead = new RegExp(`sum${grouping}\\((?:rate|increase)\\($`);
const gaugeRead = new RegExp(`(?:max|min)${grouping}\\($`);

/** Where an expression reads a series of the exporter without reducing collector_instance_id first. */
function unreduced(expr: string): string[] {
  const e = squeeze(expr);
  const found: string[] = [];
  for (const metric of viaExporter) {
    for (const m of e.matchAll(new RegExp(`(?<![\\w:])${metric}(?![\\w:])`, 'g'))) {
      const before = e.slice(0, m.index);
      if (!(isCounter(metric) ? counterRead : gaugeRead).test(before))
        found.push(`${metric} after …${before.slice(-40)}`);
    }
  }
  // nothing keeps the label, or matches series on it
  for (const clause of e.matchAll(/(by|on|ignoring|group_left|group_right)\(([^()]*)\)/g))
    if (clause[2]!.split(',').includes('collector_instance_id')) found.push(`${clause[0]}`);
  return found;
}

const promql = [
  ...queries()
    .filter((q) => q.uid === 'prometheus')
    .map((q) => ({ where: q.where, expr: q.expr })),
  ...allRules().map((r) => ({ where: `rule ${r.record ?? r.alert}`, expr: r.expr })),
  ...datasources()
    .flatMap((d) => d.jsonData?.tracesToMetrics?.queries ?? [])
    .map((q: { name: string; query: string }) => ({ where: `datasource link ${q.name}`, expr: q.query })),
];

describe('PromQL with several Collector instances (label collector_instance_id)', () => {
  it('finds queries of every kind to check', () => {
    expect(promql.filter((q) => q.where.startsWith('rule ')).length).toBeGreaterThan(10);
    expect(promql.filter((q) => q.where.endsWith('.json', q.where.indexOf(' /'))).length).toBeGreaterThan(30);
    expect(promql.filter((q) => q.where.startsWith('datasource ')).length).toBe(2);
  });

  it('reads counters as a sum of per-series rates, gauges as a max or min per series', () => {
    const bad = promql.flatMap((q) => unreduced(q.expr).map((u) => `${q.where}: ${u}`));
    expect(bad).toEqual([]);
  });

  it('tells a query that would count a replica twice', () => {
    expect(unreduced('sum by (service_name) (v8js_memory_heap_used_bytes)')).toHaveLength(1);
    expect(unreduced('count(ostack_database_up == 0)')).toHaveLength(1);
    expect(unreduced('rate(orders_placed_total[5m])')).toHaveLength(1);
    expect(unreduced('sum by (collector_instance_id) (rate(orders_placed_total[5m]))')).toHaveLength(1);
    expect(unreduced('sum(max without (collector_instance_id) (v8js_memory_heap_used_bytes))')).toEqual([]);
  });
});
