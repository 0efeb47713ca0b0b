// promtool, when installed, checks configs and parses PromQL for real: $PROMTOOL, else the one built at the pinned
// version (stack/scripts/build-prometheus.sh), else one on PATH (Debian's `prometheus` package).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dotenv } from './env';

const built = join(homedir(), '.cache/ostack/bin', `prometheus-${dotenv().PROMETHEUS_VERSION}`, 'promtool');
const bin = process.env.PROMTOOL ?? (existsSync(built) ? built : 'promtool');

export const hasPromtool = spawnSync(bin, ['--version']).status === 0;

export function promtool(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
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
