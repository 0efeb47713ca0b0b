// Grafana provisioning and dashboards, flattened for checks.
import { readFileSync } from 'node:fs';
import { listFiles, readYaml, repoPath } from './repo';

export interface DsRef {
  type?: string;
  uid?: string;
}
export interface Target {
  refId: string;
  datasource?: DsRef;
  expr?: string;
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DsRef;
  targets?: Target[];
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

export const dashboardDir = 'config_volumes/grafana/dashboards';
export const datasourceFile = 'config_volumes/grafana/provisioning/datasources/datasources.yaml';

/** Grafana's reading of a provisioning value: `$$` is a literal `$` (it expands $VAR from its environment). */
const unescape = (value: unknown): unknown =>
  typeof value === 'string'
    ? value.replace(/\$\$/g, '$')
    : Array.isArray(value)
      ? value.map(unescape)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescape(v)]))
        : value;

export const datasources = (): any[] => (unescape(readYaml(datasourceFile)) as { datasources: any[] }).datasources;

export function dashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return listFiles(dashboardDir, '.json').map((file) => ({
    file,
    dashboard: JSON.parse(readFileSync(repoPath(dashboardDir, file), 'utf8')) as Dashboard,
  }));
}

/** Every panel, rows' nested panels included. */
export const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Every query with the datasource it runs on (the target's own, else the panel's). */
export function queries(): Array<{ where: string; uid: string | undefined; expr: string }> {
  return dashboards().flatMap(({ file, dashboard }) =>
    allPanels(dashboard.panels).flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        where: `${file} / ${p.title} / ${t.refId}`,
        uid: t.datasource?.uid ?? p.datasource?.uid,
        expr: t.expr ?? '',
      })),
    ),
  );
}
