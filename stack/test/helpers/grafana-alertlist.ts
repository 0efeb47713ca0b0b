// What Grafana 13.2's alert list panel (public/app/plugins/panel/alertlist) lists, rebuilt from its source so a test
// can put the shipped provisioning and Prometheus' shipped rules through it. Each function names the Grafana file it
// follows (read in the grafana/grafana repository; no code of theirs is copied). docs/links.md says what was read.

/** A provisioned datasource, as far as alerting looks at it. */
export interface RulesDatasource {
  name: string;
  type: string;
  jsonData?: { manageAlerts?: boolean };
}

/** The alert list's options (alertlist/types.ts UnifiedAlertListOptions, defaults of module.tsx). */
export interface AlertListOptions {
  alertName?: string;
  alertInstanceLabelFilter?: string;
  dashboardAlerts?: boolean;
  datasource?: string | null;
  folder?: { uid?: string; title?: string } | null;
  showInactiveAlerts?: boolean;
  stateFilter: Partial<Record<'firing' | 'pending' | 'recovering' | 'noData' | 'normal' | 'error', boolean>>;
}

/** An alerting rule as Prometheus' /api/v1/rules reports it, with its instances. */
export interface PromAlertingRule {
  name: string;
  state: 'inactive' | 'pending' | 'firing';
  annotations?: Record<string, string>;
  alerts: { state: 'pending' | 'firing'; labels: Record<string, string> }[];
}

// alerting/unified/utils/datasource.ts SUPPORTED_EXTERNAL_RULE_SOURCE_TYPES
const externalRuleSourceTypes = [
  'loki',
  'prometheus',
  'grafana-amazonprometheus-datasource',
  'grafana-azureprometheus-datasource',
];

/**
 * The datasources whose rules Grafana's alerting reads (datasource.ts getRulesDataSources with
 * isDataSourceManagingAlerts): a supported type whose jsonData.manageAlerts is true, or unset while the ini
 * default `[datasources] default_manage_alerts_ui_toggle` (true unless a deployment changes it) is true.
 */
export function ruleSources(all: RulesDatasource[], iniManageAlertsDefault: boolean): string[] {
  return all
    .filter((ds) => externalRuleSourceTypes.includes(ds.type))
    .filter((ds) => ds.jsonData?.manageAlerts ?? iniManageAlertsDefault)
    .map((ds) => ds.name);
}

// util.ts filterAlerts: an instance shows when its state is one the filter selects.
const instanceShown = (state: PromAlertingRule['alerts'][number]['state'], filter: AlertListOptions['stateFilter']) =>
  (state === 'firing' && Boolean(filter.firing)) || (state === 'pending' && Boolean(filter.pending));

/**
 * The names the panel lists, in rule order (UnifiedAlertList.tsx): it reads the rules of every rule source, or of
 * the one its `datasource` option names (a datasource name, not a uid), and only those of rule sources reach the
 * list (useCombinedRuleNamespaces); then filterRules: linked to this dashboard (a __dashboardUid__ annotation),
 * name containing alertName, rule state selected, folder (Grafana-managed rules only), datasource; last, a rule stays
 * when one of its instances shows, or when it is inactive and showInactiveAlerts is on with no instance label filter.
 * Label matchers and the instance limit are not modelled: the shipped panels set neither.
 */
export function alertListShows(
  options: AlertListOptions,
  rulesBySource: Record<string, PromAlertingRule[]>,
  sources: string[],
  dashboardUid: string,
): string[] {
  const read = options.datasource ? sources.filter((s) => s === options.datasource) : sources;
  const f = options.stateFilter;
  return read
    .flatMap((source) => rulesBySource[source] ?? [])
    .filter((r) => !options.dashboardAlerts || r.annotations?.__dashboardUid__ === dashboardUid)
    .filter((r) => !options.alertName || r.name.toLowerCase().includes(options.alertName.toLowerCase()))
    .filter(
      (r) =>
        (f.firing && r.state === 'firing') ||
        (f.pending && r.state === 'pending') ||
        (f.normal && r.state === 'inactive'),
    )
    .filter(() => !options.folder?.uid) // Prometheus' rule files are no Grafana folders
    .filter(
      (r) =>
        r.alerts.some((a) => instanceShown(a.state, f)) ||
        (r.state === 'inactive' && Boolean(options.showInactiveAlerts) && !options.alertInstanceLabelFilter),
    )
    .map((r) => r.name);
}
