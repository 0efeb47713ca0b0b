import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'load-generator',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
