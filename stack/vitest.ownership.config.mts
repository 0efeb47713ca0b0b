import { defineConfig } from 'vitest/config';

// Checkouts owned by root and by another uid, each started with the shipped compose file (after the stack suite).
export default defineConfig({
  test: {
    name: 'stack-ownership',
    root: import.meta.dirname,
    include: ['test/ownership/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
