import { defineConfig, mergeConfig } from 'vitest/config';
import { BUILD_DIST_FIRST, shared } from '../vitest.shared.mts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: 'order-service',
      include: ['test/**/*.test.ts'],
      // Services started as processes and the instrumented telemetry test run dist/.
      globalSetup: [BUILD_DIST_FIRST],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
