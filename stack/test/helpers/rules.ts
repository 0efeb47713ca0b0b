// Prometheus' rule files (config_volumes/prometheus/rules) and their promtool unit tests (…/tests), flattened.
import { listFiles, readYaml } from './repo';

export const prometheusDir = 'config_volumes/prometheus';
export const rulesDir = `${prometheusDir}/rules`;
export const ruleTestsDir = `${prometheusDir}/tests`;

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  file: string;
  name: string;
  interval?: string;
  rules: Rule[];
}

export const ruleFiles = (): string[] => listFiles(rulesDir, '.yml');
export const ruleTestFiles = (): string[] => listFiles(ruleTestsDir, '.test.yml');

export function ruleGroups(): RuleGroup[] {
  return ruleFiles().flatMap((file) =>
    (readYaml<{ groups: Omit<RuleGroup, 'file'>[] }>(rulesDir, file).groups ?? []).map((g) => ({ file, ...g })),
  );
}

export const allRules = (): Array<Rule & { group: string }> =>
  ruleGroups().flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
export const alertRules = () => allRules().filter((r) => r.alert);
export const recordingRules = () => allRules().filter((r) => r.record);
/** Names the recording rules store, which dashboards may query like any metric. */
export const recordedMetrics = (): string[] => [...new Set(recordingRules().map((r) => r.record!))];

export interface AlertTestCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
}
export interface RuleTestFile {
  file: string;
  rule_files: string[];
  tests: Array<{ name?: string; alert_rule_test?: AlertTestCase[] }>;
}

export const ruleTests = (): RuleTestFile[] =>
  ruleTestFiles().map((file) => ({ file, ...readYaml<Omit<RuleTestFile, 'file'>>(ruleTestsDir, file) }));
