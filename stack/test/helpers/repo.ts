// Paths and file readers shared by the static config checks.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const root = resolve(__dirname, '../../..');
export const repoPath = (...parts: string[]): string => join(root, ...parts);
export const readText = (...parts: string[]): string => readFileSync(repoPath(...parts), 'utf8');
export const exists = (...parts: string[]): boolean => existsSync(repoPath(...parts));
// `merge: true` resolves `<<: *anchor` the way docker compose does.
export const readYaml = <T = any>(...parts: string[]): T => parse(readText(...parts), { merge: true }) as T;
export const listFiles = (dir: string, ext: string): string[] =>
  readdirSync(repoPath(dir))
    .filter((f) => f.endsWith(ext))
    .sort();
