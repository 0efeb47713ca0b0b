// How long the stack keeps logs and traces, read as Loki and Jaeger read their shipped configs under compose.
import { parse } from 'yaml';
import type { ComposeService } from './compose';
import { interpolate } from './env';
import { readText } from './repo';

const unitMs: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };

/** A Go (time.ParseDuration) or Prometheus (model.ParseDuration) duration such as 72h, 1h30m or 7d, in ms. */
export function durationMs(text: string): number {
  const parts = [...String(text).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== String(text).trim())
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * unitMs[p[2]!]!, 0);
}

export const hours = (ms: number): number => ms / 36e5;

/** The variables a service's process sees: compose's environment for it (already interpolated from .env). */
export const processEnv = (service: ComposeService): Record<string, string> => ({ ...service.environment });

/**
 * loki.yaml as Loki reads it: with -config.expand-env=true, drone/envsubst replaces $VAR, ${VAR} and
 * ${VAR:-default} in the whole text before parsing (pkg/util/cfg/files.go); without it, the text as written.
 */
export function lokiConfig(command: string[], env: Record<string, string>): any {
  const text = readText('config_volumes/loki/loki.yaml');
  return parse(command.includes('-config.expand-env=true') ? interpolate(text, env).text : text);
}

/** A Collector-style config (Jaeger v2) as its confmap resolves ${env:VAR} and ${env:VAR:-default}. */
export function collectorConfig(path: string, env: Record<string, string>): any {
  const text = readText(path).replace(
    /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_m, name: string, fallback?: string) => env[name] || fallback || '',
  );
  return parse(text);
}

/** The defaults a config falls back to for the variables it reads, by variable. */
export function defaultsIn(path: string): Record<string, string> {
  const matches = readText(path).matchAll(/\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}/g);
  return Object.fromEntries([...matches].map((m) => [m[1]!, m[2]!]));
}
