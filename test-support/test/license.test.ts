// The licence package.json declares is the one shipped: LICENSE is Apache-2.0's text as the ASF publishes it, and
// every workspace says the same as the root.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

// SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt, byte for byte.
const APACHE_2_0_SHA256 = 'cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30';

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { license?: string; workspaces?: string[] };

describe('licence', () => {
  it('LICENSE is the full Apache-2.0 text', () => {
    const text = readFileSync(join(ROOT, 'LICENSE'));
    expect(createHash('sha256').update(text).digest('hex')).toBe(APACHE_2_0_SHA256);
  });

  it('every workspace package.json names the root licence', () => {
    const root = manifest('.');
    expect(root.license).toBe('Apache-2.0');
    const unlicensed = root.workspaces!.filter((dir) => manifest(dir).license !== root.license);
    expect(unlicensed).toEqual([]);
  });
});
