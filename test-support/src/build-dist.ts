// vitest globalSetup of the projects whose tests run dist/: the services started as processes, and the
// instrumented tests, which load them through Node's own require (the instrumentations patch only that). Compiling
// first (tsc -b, incremental: under a second when nothing changed) means they never run a build older than src/.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** What `npm run build` compiles: the projects of its `tsc -b`. */
export const BUILT_WORKSPACES = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }
).scripts.build
  .replace(/^tsc -b /, '')
  .split(' ');

export default function buildDist(): void {
  const tsc = createRequire(__filename).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', ...BUILT_WORKSPACES], { cwd: ROOT, stdio: 'inherit' });
}
