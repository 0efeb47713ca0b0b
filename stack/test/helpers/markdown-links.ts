// Dead relative links in Markdown: a file that is not there, or a #fragment that names no heading of its page.
// markdownlint (MD051) checks fragments within one page only; this follows links from page to page.
import { posix } from 'node:path';

/** GitHub's anchor of a heading: lower case, punctuation dropped (not `-` or `_`), each space a hyphen. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The lines of a page with those of fenced code blocks blanked. */
function outsideFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (!fence || marker.startsWith(fence))) {
      fence = fence ? undefined : marker;
      return '';
    }
    return fence ? '' : line;
  });
}

/** The anchors a page offers: its headings' slugs, numbered as GitHub does when one repeats. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of outsideFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    found.add(n ? `${base}-${n}` : base);
  }
  return found;
}

/** Every relative link target of a page: inline links and images `[x](target)`, and definitions `[x]: target`. */
export function linkTargets(markdown: string): { line: number; target: string }[] {
  const targets: { line: number; target: string }[] = [];
  outsideFences(markdown).forEach((line, i) => {
    // Inline code spans are examples, not links.
    const text = line.replace(/(`+)[^`]*?\1/g, '');
    const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].flatMap((m) =>
      m[1] ? [m[1]] : [],
    );
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text)?.[1];
    for (const target of [...inline, ...(definition ? [definition] : [])]) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) targets.push({ line: i + 1, target });
    }
  });
  return targets;
}

export interface Page {
  /** Path from the repository root, with forward slashes. */
  path: string;
  text: string;
}

/**
 * The dead links of `pages`: `isFile(path)` / `isDir(path)` say what exists, `read(path)` gives any other page a
 * link's fragment points into. Returns "file:line: target (why)" for each.
 */
export function deadLinks(
  pages: Page[],
  fs: { isFile(path: string): boolean; isDir(path: string): boolean; read(path: string): string },
): string[] {
  const dead: string[] = [];
  for (const page of pages) {
    for (const { line, target } of linkTargets(page.text)) {
      const [rawPath, fragment] = target.split('#', 2) as [string, string | undefined];
      const path = rawPath
        ? posix.normalize(posix.join(posix.dirname(page.path), decodeURI(rawPath))).replace(/\/$/, '')
        : page.path;
      const where = `${page.path}:${line}: ${target}`;
      if (path.startsWith('../')) dead.push(`${where} (outside the repository)`);
      else if (!fs.isFile(path) && !fs.isDir(path)) dead.push(`${where} (no such file)`);
      else if (fragment && path.endsWith('.md') && !anchors(fs.read(path)).has(decodeURIComponent(fragment))) {
        dead.push(`${where} (no heading #${fragment} in ${path})`);
      }
    }
  }
  return dead;
}
