// Static checks of Grafana's provisioning and dashboards: fixed datasource UIDs and the four links between
// them, dashboards whose every panel has a datasource and a query, LogQL that parses, PromQL that selects
// the contract's metric names (and parses, with promtool when installed).
import { parser } from '@grafana/lezer-logql';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { allPanels, dashboardDir, dashboards, datasourceFile, datasources, queries } from '../helpers/grafana';
import { balanced, knownMetrics, metricNames } from '../helpers/metrics';
import { checkExpressions, needsPromtool } from '../helpers/promtool';
import { exists, readText, readYaml } from '../helpers/repo';

const ds = datasources();
const byUid = (uid: string) => ds.find((d) => d.uid === uid);
const uids = ds.map((d) => d.uid as string);
const grafana = loadCompose().compose.services.grafana!;

/** Errors the LogQL grammar reports for a query (0 = parses). */
function logqlErrors(expr: string): number {
  let errors = 0;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors++;
    },
  });
  return errors;
}

describe('grafana datasources', () => {
  it('provisions prometheus, loki and jaeger with fixed UIDs', () => {
    expect(ds.map((d) => [d.uid, d.type])).toEqual([
      ['prometheus', 'prometheus'],
      ['loki', 'loki'],
      ['jaeger', 'jaeger'],
    ]);
    expect(ds.filter((d) => d.isDefault).map((d) => d.uid)).toEqual(['prometheus']);
  });

  it('links Loki logs to Jaeger traces by the trace_id structured metadata', () => {
    const [field, ...more] = byUid('loki').jsonData.derivedFields;
    expect(more).toEqual([]);
    expect(field).toMatchObject({ matcherType: 'label', matcherRegex: '^trace_id$', datasourceUid: 'jaeger' });
    expect(field.url).toBe('${__value.raw}');
  });

  // What each link opens, built from a recorded trace as Grafana builds it: grafana-links.test.ts.
  it('links Jaeger spans to Loki logs by a custom query on the trace id', () => {
    expect(byUid('jaeger').jsonData.tracesToLogsV2).toMatchObject({ datasourceUid: 'loki', customQuery: true });
    expect(byUid('jaeger').jsonData.tracesToLogsV2.query).toContain('${__trace.traceId}');
  });

  it('links Jaeger spans to span metrics in Prometheus by the service instance', () => {
    const t2m = byUid('jaeger').jsonData.tracesToMetrics;
    expect(t2m).toMatchObject({
      datasourceUid: 'prometheus',
      tags: [{ key: 'service.instance.id', value: 'service_instance_id' }],
    });
    expect(t2m.queries.length).toBeGreaterThan(0);
    for (const q of t2m.queries) {
      expect(q.query, q.name).toContain('$__tags}');
      for (const name of metricNames(q.query)) expect(knownMetrics, `${q.name}: ${name}`).toContain(name);
    }
  });

  it('links Prometheus exemplars (trace_id) to Jaeger, through an Explore URL', () => {
    expect(byUid('prometheus').jsonData.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: 'trace_id', url: expect.stringContaining('"datasource":"jaeger"') }),
    ]);
  });

  it('points every link at a provisioned datasource', () => {
    const linked = [
      ...byUid('loki').jsonData.derivedFields.map((f: { datasourceUid: string }) => f.datasourceUid),
      byUid('jaeger').jsonData.tracesToLogsV2.datasourceUid,
      byUid('jaeger').jsonData.tracesToMetrics.datasourceUid,
      ...byUid('prometheus').jsonData.exemplarTraceIdDestinations.map(
        (d: { url: string }) => JSON.parse(new URL(d.url, 'http://g').searchParams.get('left')!).datasource,
      ),
    ];
    for (const uid of linked) expect(uids).toContain(uid);
  });

  it('escapes every literal $ as $$ (Grafana expands $VAR in provisioning files)', () => {
    const text = readText(datasourceFile).replace(/^\s*#.*$/gm, '');
    expect(text).toMatch(/\$\$\{__value\.raw\}/);
    expect(text.replace(/\$\$/g, '')).not.toContain('$');
  });
});

describe('grafana dashboards', () => {
  const all = dashboards();
  const provider = readYaml('config_volumes/grafana/provisioning/dashboards/dashboards.yaml').providers;

  it('loads the dashboards directory that compose mounts', () => {
    expect(provider).toHaveLength(1);
    expect(grafana.volumes).toContain(`./${dashboardDir}:${provider[0].options.path}:ro`);
    const home = grafana.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(home.startsWith(`${provider[0].options.path}/`)).toBe(true);
    expect(exists(dashboardDir, home.slice(provider[0].options.path.length + 1))).toBe(true);
  });

  it('ships the six dashboards with unique UIDs and panel ids', () => {
    expect(all.map((d) => d.file)).toEqual([
      'business.json',
      'collector-health.json',
      'database.json',
      'logs.json',
      'services-overview.json',
      'slo.json',
    ]);
    expect(new Set(all.map((d) => d.dashboard.uid)).size).toBe(all.length);
    for (const { file, dashboard } of all) {
      const ids = allPanels(dashboard.panels).map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
    }
  });

  it('gives every panel a provisioned datasource (by UID) and a query', () => {
    for (const { file, dashboard } of all) {
      // an alert list reads Grafana's view of the alert rules (Prometheus' included), not a query
      for (const p of allPanels(dashboard.panels).filter((x) => x.type !== 'alertlist')) {
        const where = `${file} / ${p.title}`;
        expect(uids, where).toContain(p.datasource?.uid);
        expect(p.targets?.length, where).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.expr?.trim(), `${where} / ${t.refId}`).toBeTruthy();
          if (t.datasource) expect(t.datasource.uid, `${where} / ${t.refId}`).toBe(p.datasource?.uid);
        }
      }
    }
  });

  it('writes LogQL that parses and selects the services by service_name', () => {
    const logql = queries().filter((q) => q.uid === 'loki');
    expect(logql.length).toBeGreaterThanOrEqual(4);
    for (const { where, expr } of logql) {
      expect(logqlErrors(expr), `${where}: ${expr}`).toBe(0);
      expect(expr, where).toMatch(/\{service_name=~?"[^"]+"\}/);
    }
  });

  it('writes PromQL on the contract metric names, as plain strings', () => {
    const promql = queries().filter((q) => q.uid === 'prometheus');
    expect(promql.length).toBeGreaterThanOrEqual(20);
    for (const { where, expr } of promql) {
      expect(balanced(expr), `${where}: ${expr}`).toBe(true);
      expect(expr, `${where}: Grafana variables are not PromQL`).not.toContain('$');
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(knownMetrics, `${where}: ${name}`).toContain(name);
    }
  });

  it.runIf(needsPromtool)('writes PromQL that promtool parses', () => {
    const exprs = queries()
      .filter((q) => q.uid === 'prometheus')
      .map((q) => q.expr);
    const { ok, output } = checkExpressions(exprs);
    expect(ok, output).toBe(true);
  });

  it('covers what each dashboard is for', () => {
    const exprsOf = (file: string) =>
      queries()
        .filter((q) => q.where.startsWith(`${file} `))
        .map((q) => q.expr)
        .join('\n');
    const services = exprsOf('services-overview.json');
    expect(services).toMatch(/rate\(http_server_request_duration_seconds_count/);
    expect(services).toMatch(/http_response_status_code=~"5\.\."/);
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(services).toMatch(
        new RegExp(`histogram_quantile\\(${q.replace('.', '\\.')}, sum by \\(le, service_name, http_route\\)`),
      );
    }
    const exemplarPanels = all
      .flatMap(({ dashboard }) => allPanels(dashboard.panels))
      .filter((p) =>
        p.targets?.some((t) => (t as { exemplar?: boolean }).exemplar && t.expr?.includes('traces_span_metrics')),
      );
    expect(exemplarPanels.length).toBeGreaterThan(0);

    const business = exprsOf('business.json');
    expect(business).toMatch(/orders_placed_total/);
    expect(business).toMatch(/sum by \(reason\) \(rate\(orders_rejected_total/);
    expect(business).toMatch(/sum by \(reason\) \(rate\(orders_left_pending_total/);
    expect(business).toMatch(/by \(product_id, product_name\) \(inventory_stock\)/);

    const alertLists = (file: string) =>
      allPanels(all.find((d) => d.file === file)!.dashboard.panels).filter((p) => p.type === 'alertlist');
    expect(alertLists('services-overview.json')).toHaveLength(1);

    // error budget left over 30 days and the burn rate of every window the alerts read, for both objectives
    const slo = exprsOf('slo.json');
    for (const name of ['order-placement-availability', 'order-placement-latency']) {
      expect(slo).toContain(
        `1 - slo:sli_error:ratio_rate30d{slo="${name}"} / on (slo) (1 - slo:objective:ratio{slo="${name}"})`,
      );
      for (const w of ['5m', '30m', '1h', '2h', '6h', '1d', '3d'])
        expect(slo).toContain(
          `slo:sli_error:ratio_rate${w}{slo="${name}"} / on (slo) (1 - slo:objective:ratio{slo="${name}"})`,
        );
    }

    // reachability per service on both backends; on PostgreSQL the pool's used / idle / max, waits, query durations
    const database = exprsOf('database.json');
    expect(database).toContain('min by (service_name, db_system_name) (ostack_database_up)');
    // (each replica once: max without collector_instance_id, see collector-instances.test.ts)
    const once = (gauge: string) => `max without (collector_instance_id) (${gauge})`;
    expect(database).toContain(
      `sum by (service_name, db_client_connection_state) (${once('db_client_connection_count')})`,
    );
    expect(database).toContain(`sum by (service_name) (${once('db_client_connection_max')})`);
    expect(database).toContain(`sum by (service_name) (${once('db_client_connection_pending_requests')})`);
    for (const q of ['0.5', '0.95', '0.99'])
      expect(database).toContain(
        `histogram_quantile(${q}, sum by (le, service_name) (rate(db_client_operation_duration_seconds_bucket[1m])))`,
      );
    // summed over replicas (every series of a service), never one replica's value taken for the service's
    for (const expr of database.split('\n').filter((e) => e.includes('db_client_connection')))
      expect(expr).toMatch(/^(sum|max) by \(service_name\b/);

    const collector = exprsOf('collector-health.json');
    for (const signal of ['spans', 'metric_points', 'log_records']) {
      for (const m of ['receiver_accepted', 'receiver_refused', 'exporter_sent', 'exporter_send_failed']) {
        expect(collector).toContain(`otelcol_${m}_${signal}_total`);
      }
    }
  });
});
