import { defineConfig, mergeConfig } from 'vitest/config';
import { BUILD_DIST_FIRST, shared } from '../vitest.shared.mts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: 'telemetry',
      include: ['test/**/*.test.ts'],
      // The instrumented tests and the spawned processes run dist/ (Node's own require and --require).
      globalSetup: [BUILD_DIST_FIRST],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
