import { defineConfig } from 'vitest/config';

// One `npm test` for the whole repo: each workspace is a vitest project with its own setup.
export default defineConfig({
  test: {
    projects: [
      'telemetry',
      'service-kit',
      'test-support',
      'inventory-service',
      'order-service',
      'load-generator',
      'stack',
    ],
    // A passing test prints nothing (the services' JSON logs of injected faults and refused orders included);
    // a failing one shows everything it printed.
    silent: 'passed-only',
    // Property and process tests take seconds by design: list only those slower than this.
    slowTestThreshold: 10_000,
  },
});
