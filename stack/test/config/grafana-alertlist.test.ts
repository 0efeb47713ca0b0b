// The dashboards' alert list panels, put through Grafana 13.2's alert list as rebuilt from its source
// (helpers/grafana-alertlist.ts) with the shipped provisioning and Prometheus' shipped alerting rules: they must list
// Prometheus' datasource-managed rules whatever Grafana's ini default for "Manage alerts" is.
import { describe, expect, it } from 'vitest';
import { allPanels, dashboards, datasources } from '../helpers/grafana';
import {
  type AlertListOptions,
  alertListShows,
  type PromAlertingRule,
  type RulesDatasource,
  ruleSources,
} from '../helpers/grafana-alertlist';
import { alertRules } from '../helpers/rules';

const ds = datasources() as RulesDatasource[];
const prometheus = ds.find((d) => d.type === 'prometheus')!;
const panels = dashboards().flatMap(({ file, dashboard }) =>
  allPanels(dashboard.panels)
    .filter((p) => p.type === 'alertlist')
    .map((p) => ({
      where: `${file} / ${p.title}`,
      dashboardUid: dashboard.uid,
      options: (p as unknown as { options: AlertListOptions }).options,
    })),
);
const names = [...new Set(alertRules().map((r) => r.alert!))];

/** Prometheus' report of the shipped alerting rules, with `active` pending or firing on one instance. */
function report(active: Record<string, 'pending' | 'firing'> = {}): Record<string, PromAlertingRule[]> {
  const rules = alertRules().map((r): PromAlertingRule => {
    const state = active[r.alert!];
    return {
      name: r.alert!,
      state: state ?? 'inactive',
      annotations: r.annotations,
      alerts: state ? [{ state, labels: { alertname: r.alert!, ...r.labels } }] : [],
    };
  });
  return { [prometheus.name]: rules };
}

describe('the alert list panels', () => {
  it('exist, on the overview and the SLO dashboards', () => {
    expect(panels.map((p) => p.where.split(' / ')[0]).sort()).toEqual(['services-overview.json', 'slo.json']);
  });

  it.each([true, false])('read Prometheus’ rules with the ini default for Manage alerts %s', (iniDefault) => {
    // jsonData.manageAlerts set: the ini default ([datasources] default_manage_alerts_ui_toggle) no longer decides
    expect(ruleSources(ds, iniDefault)).toContain(prometheus.name);
    for (const { where, dashboardUid, options } of panels) {
      const sources = ruleSources(ds, iniDefault);
      for (const name of names.filter((n) => n.toLowerCase().includes((options.alertName ?? '').toLowerCase())))
        expect(alertListShows(options, report({ [name]: 'firing' }), sources, dashboardUid), where).toContain(name);
    }
  });

  it('filter on Prometheus by its datasource name, with no filter a datasource-managed rule cannot meet', () => {
    for (const { where, options } of panels) {
      expect(options.datasource, where).toBe(prometheus.name); // a name, as the panel's picker stores it
      expect(options.dashboardAlerts, where).toBe(false); // Prometheus' rules carry no __dashboardUid__
      expect(options.folder ?? null, where).toBeNull(); // folders hold Grafana-managed rules only
      expect(options.alertInstanceLabelFilter ?? '', where).toBe('');
      expect(
        names.some((n) => n.toLowerCase().includes((options.alertName ?? '').toLowerCase())),
        where,
      ).toBe(true);
    }
  });

  it('list on the overview what is pending or firing, and nothing on a calm stack', () => {
    const overview = panels.find((p) => p.where.startsWith('services-overview.json'))!;
    const sources = ruleSources(ds, true);
    const show = (active: Record<string, 'pending' | 'firing'>) =>
      alertListShows(overview.options, report(active), sources, overview.dashboardUid);
    expect(show({})).toEqual([]);
    expect(show({ ScrapeTargetDown: 'pending' })).toEqual(['ScrapeTargetDown']);
    expect(new Set(show({ OrderPlacementLatencyFastBurn: 'firing' }))).toEqual(
      new Set(['OrderPlacementLatencyFastBurn']),
    );
  });

  it('list every order-placement alert on the SLO dashboard, inactive ones included, and no other', () => {
    const slo = panels.find((p) => p.where.startsWith('slo.json'))!;
    const shown = alertListShows(
      slo.options,
      report({ ScrapeTargetDown: 'firing' }),
      ruleSources(ds, true),
      slo.dashboardUid,
    );
    expect(new Set(shown)).toEqual(new Set(names.filter((n) => n.startsWith('OrderPlacement'))));
  });
});
