import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The stack suite (`npm run test:compose` on the copy it starts, `npm run test:running-stack` on a user's stack): one
// file at a time, in a fixed order, the files that stop or recreate containers last.
const ORDER = ['stack.test.ts', 'links.test.ts', 'sampling.test.ts', 'alerts.test.ts', 'containers.test.ts'];
const rank = (spec: TestSpecification) => {
  const i = ORDER.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
  return i === -1 ? ORDER.length - 1 : i;
};
class FixedOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    name: 'stack-e2e',
    root: import.meta.dirname,
    include: ['test/stack/**/*.test.ts'],
    fileParallelism: false,
    sequence: { sequencer: FixedOrder },
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
