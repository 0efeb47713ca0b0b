// A checkout owned by root, or by a uid other than OSTACK_UID (left at its default), must start as is: data-init
// hands data_volumes/ to OSTACK_UID, so Jaeger and Prometheus do not crash-loop on "permission denied". Each case
// copies the working tree, sets its owner, and brings the shipped compose file up (images of the stack run; the
// Loki stand-in and no Grafana with OSTACK_STANDINS=1). Chowning needs root: `npm run test:compose` skips it else.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkoutFiles } from '../helpers/checkout';
import { dotenv } from '../helpers/env';
import { repoPath } from '../helpers/repo';

const defaults = dotenv();
const uid = Number(defaults.OSTACK_UID);
let dir = '';

function checkout(owner: number): string {
  dir = mkdtempSync(join(tmpdir(), `ostack-owner-${owner}-`));
  for (const f of checkoutFiles(repoPath())) {
    try {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      cpSync(repoPath(f), join(dir, f));
    } catch {
      /* a tracked file deleted in the working tree */
    }
  }
  execFileSync('chown', ['-R', `${owner}:${owner}`, dir]);
  return dir;
}

const standins = process.env.OSTACK_STANDINS === '1';

function compose(cwd: string, args: string[]): string {
  // The stand-in writes where Loki would keep its data, which data-init hands to OSTACK_UID.
  const files = standins ? 'docker-compose.yml:stack/compose/standins.yaml' : 'docker-compose.yml';
  const standin = { OSTACK_LOKI_STANDIN_DIR: join(cwd, 'data_volumes', 'loki') };
  // The user's own variables left out: .env of the copy decides (OSTACK_UID at its default).
  const { OSTACK_UID: _u, OSTACK_GID: _g, ...env } = process.env;
  return execFileSync('docker', ['compose', ...args], {
    cwd,
    env: { ...env, COMPOSE_FILE: files, ...(standins ? standin : {}) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

afterEach(() => {
  if (!dir) return;
  try {
    compose(dir, ['down']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    dir = '';
  }
}, 120_000);

describe.runIf(process.getuid?.() === 0)('a checkout owned by another user than OSTACK_UID', () => {
  it.each([
    ['root', 0],
    ['uid 1001', 1001],
  ])('owned by %s: every container healthy, no restarts, data written as OSTACK_UID', async (_, owner) => {
    const cwd = checkout(owner);
    expect(statSync(join(cwd, 'data_volumes', 'jaeger')).uid).toBe(owner);
    compose(cwd, ['up', '-d', '--wait', '--wait-timeout', '180', '--pull', process.env.OSTACK_PULL ?? 'missing']);
    // Crash-looping containers restart within seconds: give them the time to show it.
    await new Promise((r) => setTimeout(r, 15_000));
    const ids = compose(cwd, ['ps', '-q']).trim().split('\n');
    const states = ids.map((id) =>
      execFileSync(
        'docker',
        [
          'inspect',
          '-f',
          '{{.Name}} {{.State.Status}} {{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
          id,
        ],
        {
          encoding: 'utf8',
        },
      ).trim(),
    );
    for (const s of states) expect(s, states.join('\n')).toMatch(/ running 0( healthy)?$/);
    const res = await fetch(`http://${process.env.OSTACK_BIND_ADDRESS ?? '127.0.0.1'}:8000/order-product`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'owner', product_id: 1, quantity: 1 }),
    });
    expect(res.status).toBe(201);
    for (const d of ['jaeger', 'prometheus', 'order-service'])
      expect(statSync(join(cwd, 'data_volumes', d)).uid, d).toBe(uid);
  });
});
