import { defineConfig } from 'vitest/config';

// One `npm test` for the whole repo: each workspace is a vitest project with its own setup.
export default defineConfig({
  test: {
    projects: ['inventory-service', 'order-service', 'load-generator', 'stack'],
  },
});
