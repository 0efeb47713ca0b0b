// promtool, when installed (Debian's `prometheus` package), checks configs and parses PromQL for real.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

export function promtool(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
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
