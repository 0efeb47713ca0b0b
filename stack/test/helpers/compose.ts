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
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
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

export function loadCompose(env = dotenv()): { compose: Compose; unset: string[] } {
  const { text, unset } = interpolate(composeRaw(), env);
  return { compose: parse(text, { merge: true }) as Compose, unset };
}

/** The container port of a compose `ports:` entry ("addr:host:container[/proto]"). */
export const containerPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').at(-1));
/** The host port of a compose `ports:` entry. */
export const hostPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').at(-2));
