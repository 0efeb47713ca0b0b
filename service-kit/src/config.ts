import type { z } from 'zod';

/** A service's settings from the environment, by its schema; an empty value (compose's `${VAR:-}`) counts as unset. */
export function readEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  return schema.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
}
