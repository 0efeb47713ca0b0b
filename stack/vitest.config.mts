import { defineConfig } from 'vitest/config';

// `npm test` runs only the static checks of the shipped configuration; the native stack proof
// (test/stack) runs through `npm run test:stack`, as it builds and starts real programs.
export default defineConfig({
  test: {
    name: 'stack',
    include: ['test/config/**/*.test.ts'],
  },
});
