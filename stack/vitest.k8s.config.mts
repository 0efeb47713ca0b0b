import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The Kubernetes suite (`npm run test:k8s`): against the cluster KUBECONFIG names, one installation of
// charts/ostack (test/k8s/setup.ts), one file at a time in a fixed order, the files that kill, scale and upgrade
// after those that only send and read, the uninstall last.
const ORDER = [
  'orders.test.ts',
  'traces.test.ts',
  'tier-kills.test.ts',
  'scaling.test.ts',
  'storage-kills.test.ts',
  'retention.test.ts',
  'metrics-health.test.ts',
  'upgrade.test.ts',
  'uninstall.test.ts',
];
const rank = (spec: TestSpecification) => {
  const i = ORDER.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
  return i === -1 ? ORDER.length - 1.5 : i; // an unlisted file: before the uninstall
};
class FixedOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    name: 'k8s',
    root: import.meta.dirname,
    include: ['test/k8s/**/*.test.ts'],
    globalSetup: ['test/k8s/setup.ts'],
    fileParallelism: false,
    sequence: { sequencer: FixedOrder, concurrent: false, shuffle: false },
    // A failure in one file says nothing about the next: each file checks its own preconditions.
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
