import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// One `npm test` for the whole repo: a vitest project per workspace, all defined here.
//
// How a test finds the code it tests, one rule: what the test itself imports is the TypeScript source (its own
// `../src/...`, and every workspace package by name, through the aliases below); what Node loads itself (a service
// spawned as a process, `--require @ostack/telemetry/register`, the instrumented tests' `require`, which the
// instrumentations patch) is dist/, which `npm test` builds first. After changing src/, `npm run build` before a
// targeted `npx vitest run` of such a test.

const root = import.meta.dirname;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The workspaces' own packages (`@ostack/inventory-service/app`, ...) resolve to their source: the "@ostack/source"
 * condition of each package.json's exports (tsconfig.json's customConditions reads the same). Aliases, not
 * resolve.conditions: vitest passes those to Node as --conditions as well, and Node's own require of dist/ would
 * then get TypeScript it cannot run.
 */
function workspaceSources() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  return workspaces.flatMap((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
      name: string;
      exports?: Record<string, string | Record<string, string>>;
    };
    return Object.entries(pkg.exports ?? {}).flatMap(([subpath, target]) => {
      const source = typeof target === 'object' ? target['@ostack/source'] : undefined;
      if (!source) return [];
      const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      return [{ find: new RegExp(`^${escapeRegExp(specifier)}$`), replacement: join(root, dir, source) }];
    });
  });
}

type ProjectOptions = NonNullable<TestProjectInlineConfiguration['test']>;

/** A workspace's tests, `<dir>/test/**\/*.test.ts`, with the options below; `test` adds or overrides some for it
 * (a globalSetup that starts what its tests need, other timeouts). Paths in it are relative to the workspace. */
const workspace = (dir: string, test: ProjectOptions = {}): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name: dir, root: join(root, dir), include: ['test/**/*.test.ts'], ...test },
});

export default defineConfig({
  resolve: { alias: workspaceSources() },
  test: {
    projects: [
      workspace('telemetry'),
      workspace('service-kit'),
      workspace('test-support'),
      // One line when the PostgreSQL cases (of every project) are skipped; on CI a missing server is an error.
      workspace('inventory-service', { globalSetup: ['../test-support/src/postgres-check.ts'] }),
      workspace('order-service'),
      workspace('load-generator'),
      workspace('bench'),
      // The Helm chart as `helm template` renders it (no cluster; the cluster suite is `npm run test:k8s`).
      workspace('charts/ostack', { globalSetup: ['test/helm-check.ts'] }),
      // Only the static checks of the shipped configuration and the helpers' own tests: the stack suite
      // (stack/test/stack) needs a running stack, through `npm run test:compose` (stack/vitest.stack.config.mts),
      // and the Kubernetes suite (stack/test/k8s) a cluster, through `npm run test:k8s` (stack/vitest.k8s.config.mts).
      workspace('stack', { include: ['test/config/**/*.test.ts', 'test/helpers/**/*.test.ts'] }),
      // The repo's own scripts (no workspace): the chart's copies of config_volumes/ (chart-sync).
      { extends: true, test: { name: 'scripts', root: join(root, 'scripts'), include: ['*.test.ts'] } },
    ],
    // Services as processes and property tests take seconds.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // A passing test prints nothing (the services' JSON logs of injected faults and refused orders included);
    // a failing one shows everything it printed.
    silent: 'passed-only',
    // Property and process tests take seconds by design: list only those slower than this.
    slowTestThreshold: 10_000,
  },
});
