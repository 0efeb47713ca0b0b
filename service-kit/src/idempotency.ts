import type { Request } from 'express';
import { z } from 'zod';
import { parseInput } from './input';

const header = z.object({
  'idempotency-key': z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII')
    .optional(),
});

/** The request's Idempotency-Key, when sent: 1-128 printable ASCII characters, else a 400 that names the header. */
export function idempotencyKey(req: Request): string | undefined {
  return parseInput(header, { 'idempotency-key': req.get('idempotency-key') })['idempotency-key'];
}
