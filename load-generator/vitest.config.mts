import { defineConfig, mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared.mts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      name: 'load-generator',
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
    },
  }),
);
