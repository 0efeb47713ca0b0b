// promtool of the Prometheus release .env pins (PROMETHEUS_VERSION): built by stack/scripts/build-prometheus.sh
// into $OSTACK_CACHE/bin/prometheus-<version>/ (OSTACK_CACHE defaults to ~/.cache/ostack), else the one on PATH
// if it is that very version ($PROMTOOL overrides both). It checks configs, parses PromQL and runs the rules' unit
// tests for real.
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dotenv } from './env';

export const promtoolVersion = dotenv().PROMETHEUS_VERSION ?? '';
const cache = process.env.OSTACK_CACHE || join(homedir(), '.cache', 'ostack');
export const pinnedPromtool = join(cache, 'bin', `prometheus-${promtoolVersion}`, 'promtool');

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** "promtool, version 3.16.0 (branch: ...)" -> "v3.16.0" */
function versionOf(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = r.status === 0 ? /version (\S+)/.exec(`${r.stdout}${r.stderr}`) : null;
  return m ? `v${m[1]}` : undefined;
}

function find(): string | undefined {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  if (executable(pinnedPromtool)) return pinnedPromtool;
  return versionOf('promtool') === promtoolVersion ? 'promtool' : undefined;
}

const bin = find();
export const hasPromtool = bin !== undefined;
/** Run the promtool checks: when it is there, and always on CI, where a missing promtool fails them. */
export const needsPromtool = hasPromtool || process.env.CI === 'true';

function found(): string {
  if (bin) return bin;
  throw new Error(
    `promtool ${promtoolVersion} not found at ${pinnedPromtool} nor on PATH: ` +
      'run bash stack/scripts/build-prometheus.sh',
  );
}

export function promtool(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(found(), args, { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** The same, without blocking: several runs (e.g. one per rules test file) use the cores side by side. */
export function promtoolAsync(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(found(), args, { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ ok: !err, output: `${stdout}${stderr}` }),
    );
  });
}

/** Parses each expression with promtool by making it a recording rule. */
export function checkExpressions(exprs: string[]): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ostack-promql-'));
  try {
    const file = join(dir, 'rules.yml');
    const rules = exprs.map((expr, i) => ({ record: `ostack:check_${i}`, expr }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
    return promtool(['check', 'rules', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
