import { defineConfig } from 'vitest/config';

// `npm test` runs only the static checks of the shipped configuration; the stack suite
// (test/stack) runs through `npm run test:compose`, which starts a copy of the real stack.
export default defineConfig({
  test: {
    name: 'stack',
    include: ['test/config/**/*.test.ts', 'test/helpers/**/*.test.ts'],
  },
});
