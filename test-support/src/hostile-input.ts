// Hostile input for property tests of both services: arbitraries, a raw sender and the judge of an answer.
import type { Express } from 'express';
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { expect } from 'vitest';

/** Runs per property: enough to find the odd case, few enough that `npm test` stays fast. */
export const RUNS = { numRuns: 150 };

/** Strings with lone surrogates: valid in JS and JSON (`"\ud800"`), not in UTF-8. */
export const loneSurrogates = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  minLength: 1,
  maxLength: 8,
});

/** Numbers and numeric-looking text at the edges of a whole-number field, and things that merely look like one. */
// prettier-ignore
export const edgeValue = fc.constantFrom<unknown>(
  0, -0, 1, 2, 5, 7, -1, 0.5, 1.5, 999, 1_000, 1_001, 9_999, 10_000, 10_001, 2_147_483_647, 2_147_483_648,
  Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 1e21, 1e308, -1e308, '  7  ', '7', '1', '0x10',
  '1e2', '007', '+7', '-7', '7.0', '', ' ', '1_000', 'NaN', 'Infinity', '-0', '9'.repeat(15), '9'.repeat(16), '\u0667',
  '\uff17', '7\n', '\t3', 'null', true, false, null, [], {}, [1], ['1', '2'], { $gt: 0 },
  JSON.parse('{"__proto__": {"quantity": 1}}'), 'a'.repeat(64), 'a'.repeat(65), ' ann ', 'a\u0000b', 'a\u0085b',
  '\u202eevil',
);

/** Number literals JSON.stringify never writes (-0, overflow, underflow, precision loss), for raw JSON text. */
// prettier-ignore
export const rawNumber = fc.constantFrom(
  '-0', '-0.0', '0e0', '1e308', '1e309', '-1e309', '1e-400', '9007199254740991', '9007199254740993', '1E2', '1.0',
  '1.0000000000000001', '2147483647', '2147483648', '100000000000000000000000000000', '-1', '5',
);

/** Any value a JSON field could hold, edge values, unicode (astral, combining, lone surrogates) and small ints. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  edgeValue,
  fc.integer({ min: 1, max: 6 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  loneSurrogates,
);

/** Objects with an endpoint's keys, each absent or holding anything, sometimes with extra keys. */
export function withKeys(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const record = fc.record(Object.fromEntries(keys.map((k) => [k, anyValue])), { requiredKeys: [] });
  return fc
    .tuple(record, fc.option(fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 3 })))
    .map(([r, extra]) => ({ ...(extra ?? {}), ...r }));
}

/** What a client can put in a header value on the wire: tab, visible ASCII, space, obs-text (0x80-0xff). */
export const headerValue = fc.string({
  unit: fc.oneof(
    { weight: 1, arbitrary: fc.constant('\t') },
    { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  ),
  maxLength: 200,
});

// Headers that frame the message (length, encoding, connection) or ask Node itself (Expect, Upgrade) are not
// part of this property: the client library owns them, and the served process is tested over a raw socket.
// prettier-ignore
const FRAMING = new Set([
  'content-length', 'transfer-encoding', 'connection', 'expect', 'host', 'upgrade', 'te', 'trailer', 'keep-alive',
  'proxy-connection', 'http2-settings',
]);

/** Header names the services or their middleware read, and arbitrary tokens. */
export const headerName = fc.oneof(
  // prettier-ignore
  fc.constantFrom(
    'idempotency-key', 'content-type', 'content-encoding', 'accept', 'accept-charset', 'accept-encoding',
    'accept-language', 'if-none-match', 'if-match', 'if-modified-since', 'if-unmodified-since', 'range',
    'cache-control', 'cookie', 'authorization', 'origin', 'referer', 'user-agent', 'x-forwarded-for',
    'x-forwarded-host', 'x-forwarded-proto', 'forwarded', 'x-http-method-override', 'traceparent', 'tracestate',
    'baggage', 'x-request-id',
  ),
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,24}$/).filter((n) => !FRAMING.has(n.toLowerCase())),
);

export const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 });

/** Content types a client might send: right, wrong, unsupported charsets, and garbage. */
export const contentType = fc.oneof(
  // prettier-ignore
  fc.constantFrom(
    'application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8',
    'application/json; charset="utf-8"', 'application/json; charset=latin1', 'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16', 'application/json; charset=utf-16le', 'application/json; charset=utf-16be',
    'application/json; charset=utf-32', 'application/json; charset=utf-7', 'application/json; charset=bogus',
    'application/json;;;', 'APPLICATION/JSON', 'text/plain', 'text/html', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/xml', 'application/vnd.api+json', 'application/*', '*/*', 'json',
    ';', ';;;/', '/', 'a/b/c',
  ),
  headerValue,
);

/** The same text as bytes in a few encodings, right or wrong for the declared charset, or random bytes. */
export const encodedBody = (text: string) =>
  fc.oneof(
    fc.constant(Buffer.from(text, 'utf8')),
    fc.constant(Buffer.from(text, 'utf16le')),
    fc.constant(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])),
    fc.constant(Buffer.from(text, 'latin1')),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  );

/** Query strings: the endpoint's keys with edge values, repeated keys, and raw text with broken escapes. */
export function queryString(keys: readonly string[]): fc.Arbitrary<string> {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    edgeValue.map(String),
    fc.integer({ min: -3, max: 7 }).map(String),
  );
  const pairs = fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), text), { maxLength: 6 })
    .map((kv) => new URLSearchParams(kv).toString());
  // No '#' (a fragment never reaches the server) and no space (the client refuses it unescaped).
  const raw = fc.string({
    unit: fc.constantFrom(...'%&=+;?[]./\\"\'<>aAz019_-~!$()*,:@'.split(''), ...keys.map((k) => `${k}=`)),
    maxLength: 60,
  });
  return fc.oneof(pairs, raw);
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/**
 * Sends exactly these bytes and headers (supertest would serialize a Buffer as JSON under a JSON type), to an
 * app or, faster for hundreds of runs, to the URL of an app already listening.
 */
export function send(
  target: Express | string,
  { method = 'POST', path, headers = {}, body }: RawRequest,
): Promise<Response> {
  let req = request(target)
    [method.toLowerCase() as 'post'](path)
    .serialize((b: unknown) => b as string);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return body === undefined ? req : req.send(body);
}

export type Verdict = 'accepted' | 'refused' | 'not_modified';

/** How often each verdict came up: a property that only ever saw refusals would prove little. */
export class Tally {
  readonly counts: Record<Verdict, number> = { accepted: 0, refused: 0, not_modified: 0 };
  add(verdict: Verdict): Verdict {
    this.counts[verdict]++;
    return verdict;
  }
}

/** helmet's defaults: on every answer of the app, errors (404, 413, 415, ...) included. */
export const SECURITY_HEADERS = {
  'content-security-policy': expect.stringContaining("default-src 'self'"),
  'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** Security headers present, and express does not announce itself (no x-powered-by). */
export function expectSecurityHeaders(headers: Record<string, unknown>, seen = ''): void {
  expect(headers['x-powered-by'], seen).toBeUndefined();
  expect(headers, seen).toMatchObject(SECURITY_HEADERS);
}

/**
 * Every answer is a 2xx, or a 4xx with a JSON `{error: {code, message}}` body: never a 5xx, never a hang; and
 * every answer carries the security headers.
 */
export function judge(res: Response, method = 'POST'): Verdict {
  const seen = `${method} -> ${res.status} ${res.headers['content-type'] ?? ''} ${res.text?.slice(0, 300) ?? ''}`;
  expectSecurityHeaders(res.headers, seen);
  // A conditional GET (If-None-Match: *) is rightly answered 304 Not Modified.
  if (res.status === 304 && (method === 'GET' || method === 'HEAD')) return 'not_modified';
  const accepted = res.status >= 200 && res.status < 300;
  expect(accepted || (res.status >= 400 && res.status < 500), seen).toBe(true);
  if (accepted) return 'accepted';
  if (method !== 'HEAD') {
    expect(res.headers['content-type'], seen).toMatch(/^application\/json/);
    expect(res.body, seen).toEqual({
      error: expect.objectContaining({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) }),
    });
  }
  return 'refused';
}

/**
 * Which content types and charsets the JSON body parser reads: `text` (a JSON body) sent as each, with the status
 * expected: `ok` where it is read (UTF-8, UTF-16 with a BOM or named LE), 415 for charsets it does not decode, 400
 * where nothing is read so the fields are missing.
 */
export function charsetCases(text: string, ok: number): [string, Buffer, number][] {
  return [
    ['application/json', Buffer.from(text), ok],
    ['APPLICATION/JSON; charset="UTF-8"', Buffer.from(text), ok],
    ['application/json; charset=utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), ok],
    ['application/json; charset=utf-16le', Buffer.from(text, 'utf16le'), ok],
    ['application/json; charset=utf-16', Buffer.from(text), 400],
    ['application/json; charset=latin1', Buffer.from(text, 'latin1'), 415],
    ['application/json; charset=iso-8859-1', Buffer.from(text, 'latin1'), 415],
    ['application/json; charset=bogus', Buffer.from(text), 415],
    ['text/plain', Buffer.from(text), 400],
    ['application/x-www-form-urlencoded', Buffer.from('product_id=5&username=ann'), 400],
    [';;;/', Buffer.from(text), 400],
  ];
}
