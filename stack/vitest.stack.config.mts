import { defineConfig } from 'vitest/config';

// The stack proof (`npm run test:stack` natively, `npm run test:e2e` against compose): one file, in order.
export default defineConfig({
  test: {
    name: 'stack-e2e',
    root: import.meta.dirname,
    include: ['test/stack/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
