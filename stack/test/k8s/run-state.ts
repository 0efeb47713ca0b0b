// What the suite's files hand on to later ones and to the end (each file runs in a worker of its own): a JSON file
// and a figures file in the run's folder, which the global setup creates and names (vitest's provide/inject).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    k8sRunDir: string;
    k8sStartedAt: number;
  }
}

const stateFile = () => join(inject('k8sRunDir'), 'state.json');

export function remember(key: string, value: unknown): void {
  const state = existsSync(stateFile())
    ? (JSON.parse(readFileSync(stateFile(), 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(stateFile(), JSON.stringify({ ...state, [key]: value }));
}

export function recall<T>(key: string): T | undefined {
  if (!existsSync(stateFile())) return undefined;
  return (JSON.parse(readFileSync(stateFile(), 'utf8')) as Record<string, T>)[key];
}

/** A line for the figures block the lane prints at the end (and on the console now). */
export function figure(line: string): void {
  console.log(line);
  appendFileSync(join(inject('k8sRunDir'), 'figures.txt'), `${line}\n`);
}
