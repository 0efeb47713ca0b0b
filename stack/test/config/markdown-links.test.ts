// Every relative link in the repository's Markdown leads somewhere: the file exists, and a #fragment names a heading
// of that page. A newcomer follows the README's links first; a page moved or a heading renamed breaks them silently.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anchors, deadLinks, linkTargets, slug, type Page } from '../helpers/markdown-links';
import { readText, repoPath, root } from '../helpers/repo';

/**
 * Pages that other branches of the same change add and the README already links. Tolerated while missing, checked
 * like any other once they exist; delete an entry once its page has landed.
 */
const kind = (path: string) => statSync(repoPath(path), { throwIfNoEntry: false });
const repo = {
  isFile: (path: string) => kind(path)?.isFile() === true,
  isDir: (path: string) => kind(path)?.isDirectory() === true,
  read: (path: string) => (kind(path) ? readText(path) : ''),
};

describe('the Markdown links', () => {
  it('of every tracked page lead to a file that exists and a heading it has', () => {
    const tracked = execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    expect(tracked).toContain('README.md');
    const pages: Page[] = tracked.map((path) => ({ path, text: readText(path) }));
    expect(deadLinks(pages, repo)).toEqual([]);
  });
});

describe('the dead-link check', () => {
  const files: Record<string, string> = {
    'README.md': '# ostack\n\n## Quick start\n',
    'docs/a.md': '# A page\n\n## Run `npm test` (the tests)\n\n## Notes\n\n## Notes\n',
  };
  const fake = {
    isFile: (path: string) => path in files,
    isDir: (path: string) => path === 'docs',
    read: (path: string) => files[path] ?? '',
  };
  const check = (path: string, text: string) => deadLinks([{ path, text }], fake);

  it('takes headings to anchors as GitHub does', () => {
    expect(slug('Run `npm test` (the tests)')).toBe('run-npm-test-the-tests');
    expect(slug('Follow one order: dashboard → trace → logs')).toBe('follow-one-order-dashboard--trace--logs');
    expect([...anchors(fake.read('docs/a.md'))]).toEqual(['a-page', 'run-npm-test-the-tests', 'notes', 'notes-1']);
  });

  it('finds a missing file, a missing heading, and a link out of the repository', () => {
    expect(check('docs/b.md', '[x](c.md) [y](a.md#nowhere) [z](../../etc)')).toEqual([
      'docs/b.md:1: c.md (no such file)',
      'docs/b.md:1: a.md#nowhere (no heading #nowhere in docs/a.md)',
      'docs/b.md:1: ../../etc (outside the repository)',
    ]);
    expect(check('README.md', 'See [quick start](#quick-start-now).')).toEqual([
      'README.md:1: #quick-start-now (no heading #quick-start-now in README.md)',
    ]);
  });

  it('passes good links, and leaves external links and code alone', () => {
    const text = [
      '[a](docs/a.md#notes-1) [b](docs/) [c](#quick-start) ![d](docs/a.md "title")',
      '[e]: docs/a.md#run-npm-test-the-tests',
      '[web](https://example.org/x.md) <http://localhost:3000> `[code](nowhere.md)`',
      '```sh',
      'echo "[not a link](nowhere.md)"',
      '```',
    ].join('\n');
    expect(check('README.md', text)).toEqual([]);
    expect(linkTargets(text).map((l) => l.target)).toEqual([
      'docs/a.md#notes-1',
      'docs/',
      '#quick-start',
      'docs/a.md',
      'docs/a.md#run-npm-test-the-tests',
    ]);
  });
});
