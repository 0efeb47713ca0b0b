// Prometheus' recording and alerting rules (config_volumes/prometheus/rules): promtool checks them and runs their
// unit tests (…/tests: each alert fires on the series that should trip it, and stays silent on normal traffic and
// on 409s); the burn-rate thresholds follow the objectives and the SRE workbook's window pairs; every alert says
// how bad it is and where to look. The compose run proves them against the real stack (stack/test/stack/alerts).
import { describe, expect, it } from 'vitest';
import { dashboards } from '../helpers/grafana';
import { knownMetrics, metricNames } from '../helpers/metrics';
import { needsPromtool, promtool, promtoolAsync } from '../helpers/promtool';
import { repoPath } from '../helpers/repo';
import {
  alertRules,
  recordingRules,
  ruleFiles,
  rulesDir,
  ruleTestFiles,
  ruleTests,
  ruleTestsDir,
} from '../helpers/rules';

const alerts = alertRules();
const records = recordingRules();
const uidOf = (file: string) => dashboards().find((d) => d.file === file)!.dashboard.uid;

/** The workbook's window pairs ("Alerting on SLOs", table 5-8 plus the 1d/2h ticket): long, short, burn rate. */
const pairs: Record<string, Array<[long: string, short: string, burn: number]>> = {
  page: [
    ['1h', '5m', 14.4],
    ['6h', '30m', 6],
  ],
  ticket: [
    ['1d', '2h', 3],
    ['3d', '6h', 1],
  ],
};

/** `slo:sli_error:ratio_rate1h{slo="x"} > (14.4 * 0.005)` -> window, slo, burn rate, budget. */
const thresholds = (expr: string) =>
  [...expr.matchAll(/slo:sli_error:ratio_rate(\w+)\{slo="([^"]+)"\}\s*>\s*\(([\d.]+)\s*\*\s*([\d.]+)\)/g)].map((m) => ({
    window: m[1]!,
    slo: m[2]!,
    burn: Number(m[3]),
    budget: Number(m[4]),
  }));

const objectives = Object.fromEntries(
  records
    .filter((r) => r.record === 'slo:objective:ratio')
    .map((r) => [r.labels!.slo!, Number(/vector\(([\d.]+)\)/.exec(r.expr)![1])]),
);

describe('rule files', () => {
  it('ship database, SLO and stack-health rules', () => {
    expect(ruleFiles()).toEqual(['database.yml', 'slo-order-placement.yml', 'stack-health.yml']);
    expect(Object.keys(objectives).sort()).toEqual(['order-placement-availability', 'order-placement-latency']);
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(9);
  });

  it.runIf(needsPromtool)('pass promtool check rules', () => {
    const { ok, output } = promtool(['check', 'rules', ...ruleFiles().map((f) => repoPath(rulesDir, f))]);
    expect(ok, output).toBe(true);
  });

  it.runIf(needsPromtool)(
    'pass their promtool unit tests',
    async () => {
      const runs = await Promise.all(
        ruleTestFiles().map((f) => promtoolAsync(['test', 'rules', repoPath(ruleTestsDir, f)])),
      );
      for (const { ok, output } of runs) expect(ok, output).toBe(true);
    },
    180_000,
  );

  it('read only metrics the stack exports (or that the rules record)', () => {
    for (const r of [...records, ...alerts]) {
      const names = metricNames(r.expr);
      // every rule reads some series, but the objectives' constants
      if (r.record !== 'slo:objective:ratio') expect(names.length, r.record ?? r.alert).toBeGreaterThan(0);
      for (const name of names) expect(knownMetrics, `${r.record ?? r.alert}: ${name}`).toContain(name);
    }
  });
});

describe('SLO recording rules', () => {
  const ratios = records.filter((r) => r.record!.startsWith('slo:sli_error:ratio_rate'));
  const windowOf = (r: { record?: string }) => r.record!.replace('slo:sli_error:ratio_rate', '');

  it('record every window the alerts read, and 30 days for the budget, for each objective', () => {
    const read = new Set(alerts.flatMap((a) => thresholds(a.expr).map((t) => t.window)));
    expect(read.size).toBe(7);
    for (const slo of Object.keys(objectives)) {
      const recorded = ratios.filter((r) => r.labels?.slo === slo).map(windowOf);
      expect(new Set(recorded).size, slo).toBe(recorded.length);
      expect(recorded, slo).toEqual(expect.arrayContaining([...read, '30d']));
    }
  });

  it('define each objective once: every window is the 5m rule with its range changed', () => {
    for (const slo of Object.keys(objectives)) {
      const mine = ratios.filter((r) => r.labels?.slo === slo);
      const base = mine.find((r) => windowOf(r) === '5m')!.expr;
      for (const r of mine) expect(r.expr.replaceAll(`[${windowOf(r)}]`, '[5m]'), r.record).toBe(base);
    }
  });

  it('count 5xx of POST /order-product as failures (not 4xx), and answers over 500 ms as slow', () => {
    const of = (slo: string) => ratios.find((r) => r.labels?.slo === slo && windowOf(r) === '5m')!.expr;
    const sli = 'service_name="order-service", http_route="/order-product", http_request_method="POST"';
    expect(of('order-placement-availability')).toContain(`{${sli}, http_response_status_code=~"5.."}`);
    expect(of('order-placement-availability')).not.toMatch(/4\.\.|409/);
    expect(of('order-placement-latency')).toContain(`http_server_request_duration_seconds_bucket{${sli}, le="0.5"}`);
  });
});

describe('alerts', () => {
  it.each(
    alerts.map((a) => [
      `${a.alert}${a.labels?.long_window ? ` (${a.labels.long_window}/${a.labels.short_window})` : ''}`,
      a,
    ]),
  )('%s has a for:, a severity, and annotations to act on', (name, a) => {
    expect(a.for, name).toMatch(/^\d+[smh]$/);
    expect(Object.keys(pairs), name).toContain(a.labels?.severity);
    expect(a.annotations?.summary?.length, name).toBeGreaterThan(20);
    expect(a.annotations?.description?.length, name).toBeGreaterThan(100);
    const uids = dashboards().map((d) => d.dashboard.uid);
    for (const key of ['dashboard', 'slo_dashboard']) {
      const link = a.annotations?.[key];
      if (key === 'dashboard' || link)
        expect(uids, `${name}: ${link}`).toContain(/^http:\/\/localhost:3000\/d\/([\w-]+)$/.exec(link ?? '')?.[1]);
    }
  });

  const slo = alerts.filter((a) => a.group.startsWith('slo-'));

  it('link the SLO alerts to the services overview and the SLO dashboard', () => {
    expect(slo.length).toBe(8);
    for (const a of slo) {
      expect(a.annotations!.dashboard, a.alert).toBe(`http://localhost:3000/d/${uidOf('services-overview.json')}`);
      expect(a.annotations!.slo_dashboard, a.alert).toBe(`http://localhost:3000/d/${uidOf('slo.json')}`);
    }
  });

  it('burn the budget (1 - objective) at workbook rates: page fast (1h/5m, 6h/30m), ticket slow (1d/2h, 3d/6h)', () => {
    for (const a of slo) {
      const [long, short, ...more] = thresholds(a.expr);
      expect(more, a.alert).toEqual([]);
      // one pair per rule, named by its labels, so each resolves on its own short window
      expect([long!.window, short!.window], a.alert).toEqual([a.labels!.long_window, a.labels!.short_window]);
      expect(pairs[a.labels!.severity!], a.alert).toContainEqual([long!.window, short!.window, long!.burn]);
      expect(short!.burn, a.alert).toBe(long!.burn);
      expect(short!.slo, a.alert).toBe(long!.slo);
      for (const t of [long!, short!])
        expect(t.budget, `${a.alert} ${t.window}`).toBeCloseTo(1 - objectives[t.slo]!, 10);
      // pages are named FastBurn, tickets SlowBurn
      expect(a.alert, a.alert).toMatch(a.labels!.severity === 'page' ? /FastBurn$/ : /SlowBurn$/);
    }
    // every objective has all four pairs
    for (const name of Object.keys(objectives)) {
      const mine = slo
        .filter((a) => thresholds(a.expr)[0]!.slo === name)
        .map((a) => `${a.labels!.long_window}/${a.labels!.short_window}`);
      expect(mine.sort(), name).toEqual(['1d/2h', '1h/5m', '3d/6h', '6h/30m']);
    }
  });

  it('each fire in a unit test, and stay silent in another', () => {
    const cases = ruleTests().flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const a of alerts) {
      const rule = `${a.alert} ${a.labels?.long_window ?? ''}`;
      const mine = cases.filter((c) => c.alertname === a.alert);
      // the rule itself, told apart from its namesakes by its window labels
      const fires = mine.some((c) =>
        (c.exp_alerts ?? []).some((e) => e.exp_labels?.long_window === a.labels?.long_window),
      );
      expect(fires, `${rule} fires`).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${rule} stays silent`,
      ).toBe(true);
    }
  });
});
