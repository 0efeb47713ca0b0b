import type { Request } from 'express';
import { z } from 'zod';
import { ApiError } from './errors';

/**
 * Fields of a request, from its JSON body or its query string (a body field wins over a query parameter of the
 * same name).
 */
export function requestFields(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new ApiError(400, 'invalid_body', 'the JSON body must be an object');
  }
  return { ...(req.query as Record<string, unknown>), ...(body as Record<string, unknown> | undefined) };
}

/** A whole number in [1, max], given as a JSON number or as decimal digits (query strings are text). */
export function positiveInt(max: number) {
  return z
    .union(
      [
        z.number(),
        z
          .string()
          .trim()
          .regex(/^\d{1,15}$/, 'must be a whole number')
          .transform(Number),
      ],
      {
        error: 'must be a whole number',
      },
    )
    .pipe(z.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`));
}

/** Validates input against a schema; a mismatch is the client's mistake: 400 with every problem listed. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  const first = issues[0]!;
  throw new ApiError(400, 'invalid_request', `${first.field}: ${first.message}`, { issues });
}
