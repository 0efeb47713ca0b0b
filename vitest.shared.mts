// What every workspace's vitest project shares: `mergeConfig(shared, defineConfig({...}))` in its config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The workspaces' own packages (`@ostack/inventory-service/app`, ...) resolve to their TypeScript source, the
 * "@ostack/source" condition of each package.json's exports, so a test never runs a stale dist/. Aliases, not
 * resolve.conditions: vitest passes those to Node as --conditions as well, and the tests that must load dist/
 * through Node's own require would then get TypeScript that Node cannot run.
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

/** For the globalSetup of projects whose tests run dist/ (services as processes, instrumented tests). */
export const BUILD_DIST_FIRST = join(root, 'test-support', 'src', 'build-dist.ts');

export const shared = defineConfig({
  resolve: { alias: workspaceSources() },
});
