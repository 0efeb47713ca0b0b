import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDoc } from '../src/report.ts';

const scratch = (name: string) => join(mkdtempSync(join(tmpdir(), 'bench-doc-')), name);

describe('--write-doc', () => {
  it('replaces only what stands between the bench markers', () => {
    const file = scratch('performance.md');
    writeFileSync(
      file,
      '# Performance\n\nBefore.\n\n<!-- bench:start (written by npm run bench) -->\nold run\n<!-- bench:end -->\n\nAfter.\n',
    );
    writeDoc(file, 'new run');
    expect(readFileSync(file, 'utf8')).toBe(
      '# Performance\n\nBefore.\n\n<!-- bench:start (written by npm run bench -- --write-doc) -->\nnew run\n' +
        '<!-- bench:end -->\n\nAfter.\n',
    );
  });

  it('appends the markers to a file without them, and creates a missing file', () => {
    const file = scratch('notes.md');
    writeFileSync(file, '# Notes\n');
    writeDoc(file, 'a run');
    expect(readFileSync(file, 'utf8')).toMatch(/^# Notes\n\n<!-- bench:start [^\n]*-->\na run\n<!-- bench:end -->\n$/);
    const missing = scratch('new.md');
    writeDoc(missing, 'a run');
    expect(readFileSync(missing, 'utf8')).toContain('\na run\n<!-- bench:end -->\n');
  });
});
