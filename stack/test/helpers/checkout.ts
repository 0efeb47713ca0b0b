// The files of a checkout, as the ownership suite copies them: tracked ones, and untracked ones git does not ignore.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

/**
 * Whoever owns the checkout. git refuses a repository another user owns ("detected dubious ownership"), as when a
 * user's clone is tested with sudo; `safe.directory` given for this one command (the user's git config is never
 * written) lets it read the list. That trusts nothing new: the same checkout's npm scripts already run as this
 * user. Its fsmonitor hook, the one command git could run from the checkout's config here, is off all the same.
 */
export function checkoutFiles(dir: string): string[] {
  const path = realpathSync(dir);
  const git = ['-c', `safe.directory=${path}`, '-c', 'core.fsmonitor=false'];
  return execFileSync('git', [...git, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: path,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
}
