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
  command?: string[];
  deploy?: { resources?: { limits?: { memory?: string } } };
}
export interface Compose {
  name: string;
  services: Record<string, ComposeService>;
}

export const composeRaw = (): string => readText('docker-compose.yml');
export const composeRawDoc = (): Compose => parse(composeRaw(), { merge: true }) as Compose;

// Compose interpolates values (not keys, not comments) after parsing.
export function loadCompose(env = dotenv()): { compose: Compose; unset: string[] } {
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
  return { compose: walk(composeRawDoc()) as Compose, unset: [...unset].sort() };
}

/** The container port of a compose `ports:` entry ("addr:host:container[/proto]"). */
export const containerPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').at(-1));
/** The host port of a compose `ports:` entry. */
export const hostPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').at(-2));
