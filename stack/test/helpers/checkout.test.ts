// checkoutFiles() on a clone another user owns, as the ownership suite meets it when a user's clone is tested with
// sudo. As root (CI) the clone really belongs to uid 1001; otherwise git's own switch for its tests of this check
// (GIT_TEST_ASSUME_DIFFERENT_OWNER) makes it take the clone for another user's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkoutFiles } from './checkout';

let dir = '';
let globalConfig = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ostack-checkout-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  writeFileSync(join(dir, '.gitignore'), 'ignored.txt\n');
  writeFileSync(join(dir, 'tracked.txt'), 'tracked\n');
  git('add', '.');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'commit', '-q', '-m', 'first');
  writeFileSync(join(dir, 'untracked.txt'), 'new\n');
  writeFileSync(join(dir, 'ignored.txt'), 'ignored\n');
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', '1001:1001', dir]);
  else vi.stubEnv('GIT_TEST_ASSUME_DIFFERENT_OWNER', '1');
  // The user's global git config, watched: it must stay as it was.
  globalConfig = join(dir, '..', `${dir.split('/').at(-1)}.gitconfig`);
  writeFileSync(globalConfig, '[user]\n\tname = someone\n');
  vi.stubEnv('GIT_CONFIG_GLOBAL', globalConfig);
});

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
  rmSync(globalConfig, { force: true });
});

describe('checkoutFiles, on a clone another user owns', () => {
  it('is a clone git itself refuses', () => {
    expect(() => execFileSync('git', ['ls-files'], { cwd: dir, stdio: 'pipe' })).toThrow(/dubious ownership/);
  });

  it('lists its tracked and untracked files, not the ignored one, and leaves the git config as it was', () => {
    expect(checkoutFiles(dir).sort()).toEqual(['.gitignore', 'tracked.txt', 'untracked.txt']);
    expect(readFileSync(globalConfig, 'utf8')).toBe('[user]\n\tname = someone\n');
  });
});
