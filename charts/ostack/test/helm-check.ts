// vitest globalSetup of the chart's tests: says once, in one line, why they are skipped when helm is not on PATH
// (outside CI; on CI the tests run and fail instead).
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.CI || spawnSync('helm', ['version', '--short']).status === 0) return;
  console.warn('charts/ostack tests skipped: helm is not on PATH (CI builds it: .ci/k8s/build-helm.sh)');
}
