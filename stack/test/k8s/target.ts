// The installation under test: release, namespace, chart and values files, from the environment. Every helper and
// test takes its names from here (the chart's names: docs/kubernetes.md, `<release>-<component>`).
import { repoPath } from '../helpers/repo';

export const release = 'ostack';
export const namespace = process.env.OSTACK_K8S_NAMESPACE || 'ostack-test';
export const chartDir = repoPath('charts', 'ostack');

/** stack/k8s/test-values.yaml, then every file OSTACK_K8S_VALUES names (comma- or space-separated; CI adds the
 * stand-ins' values), relative to the repository or absolute. */
export const valuesFiles = [
  repoPath('stack', 'k8s', 'test-values.yaml'),
  ...(process.env.OSTACK_K8S_VALUES ?? '')
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((f) => (f.startsWith('/') ? f : repoPath(f))),
];

/** The share of other traces tier 2 keeps, and the slow threshold: set at install (`--set`), asserted on. */
export const SHARE = 20;
export const SLOW_MS = 500;
/** Tail sampling's decision_wait (the shipped pipeline's), and the SDKs' batch delay (OTEL_BSP_SCHEDULE_DELAY). */
export const DECISION_WAIT_MS = 10_000;
export const SDK_BATCH_MS = 5_000;

/** The label that marks the namespace as this suite's: only such a namespace is ever deleted. */
export const OWNER_LABEL = 'ostack.dev/test-suite';

export type Component =
  | 'order-service'
  | 'inventory-service'
  | 'postgresql'
  | 'collector-tier1'
  | 'collector-tier2'
  | 'jaeger-collector'
  | 'jaeger-query'
  | 'jaeger-index-cleaner'
  | 'opensearch'
  | 'prometheus'
  | 'loki';

/** An object's name: `<release>-<component>`. */
export const nameOf = (component: Component) => `${release}-${component}`;
/** The label selector of a component's pods. */
export const selectorOf = (component: Component) =>
  `app.kubernetes.io/instance=${release},app.kubernetes.io/name=${component}`;
