import { defineConfig, mergeConfig } from 'vitest/config';
import { BUILD_DIST_FIRST, shared } from '../vitest.shared.mts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: 'test-support',
      include: ['test/**/*.test.ts'],
      globalSetup: [BUILD_DIST_FIRST],
    },
  }),
);
