// docker-compose.yml as compose sees it: .env interpolated, merge keys resolved.
import { parse } from 'yaml';
import { dotenv, interpolate } from './env';
import { readText } from './repo';

export interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string>; secrets?: string[] };
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  network_mode?: string;
  cap_add?: string[];
  restart?: string;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  command?: string[];
  deploy?: { resources?: { limits?: { memory?: string } } };
}
export interface Compose {
  name: string;
  services: Record<string, ComposeService>;
}

export const composeRaw = (file = 'docker-compose.yml'): string => readText(file);
export const composeRawDoc = (file = 'docker-compose.yml'): Compose =>
  parse(composeRaw(file), { merge: true }) as Compose;

/**
 * Files merged as `docker compose -f a -f b` merges them, for what our override files use: mappings merge key by
 * key, anything else (lists included) is replaced by the later file's value.
 */
export function mergeCompose(...docs: unknown[]): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  return docs.reduce((a, b) =>
    isMap(a) && isMap(b)
      ? Object.fromEntries(
          [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
            k,
            k in b ? (k in a ? mergeCompose(a[k], b[k]) : b[k]) : a[k],
          ]),
        )
      : b,
  );
}

// Compose interpolates values (not keys, not comments) after parsing.
export function loadCompose(env = dotenv(), files = ['docker-compose.yml']): { compose: Compose; unset: string[] } {
  const unset = new Set<string>();
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const r = interpolate(value, env);
      r.unset.forEach((u) => unset.add(u));
      return r.text;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  const merged = mergeCompose(...files.map((f) => composeRawDoc(f)));
  return { compose: walk(merged) as Compose, unset: [...unset].sort() };
}

/** The container port of a compose `ports:` entry ("addr:host:container[/proto]"). */
export const containerPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').at(-1));
/** The host port of a compose `ports:` entry. */
export const hostPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').at(-2));
