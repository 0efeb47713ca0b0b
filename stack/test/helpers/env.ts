// .env and compose-style variable interpolation, so checks see what `docker compose config` would.
import { readText } from './repo';

export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    env[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

export const dotenv = (): Record<string, string> => parseDotenv(readText('.env'));

export interface Interpolated {
  text: string;
  /** variables referenced without a default that .env does not set (compose would substitute '') */
  unset: string[];
}

// Supports $$, $VAR, ${VAR}, ${VAR:-def}, ${VAR-def}, ${VAR:?err}, ${VAR?err} (the forms compose knows).
export function interpolate(text: string, env: Record<string, string>): Interpolated {
  const unset = new Set<string>();
  const out = text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const value = env[name];
      const missing = value === undefined || (op?.startsWith(':') === true && value === '');
      if (!missing) return value;
      if (op === ':-' || op === '-') return arg ?? '';
      unset.add(name);
      return '';
    },
  );
  return { text: out, unset: [...unset].sort() };
}
