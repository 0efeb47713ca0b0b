import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, createApp, parseInput, positiveInt, requestFields } from '../src/index';
import { captureLogs } from './log-capture';

describe('requestFields: a JSON body object, or the query string', () => {
  const routes = express.Router();
  routes.post('/fields', (req, res) => void res.json(requestFields(req)));
  const app = createApp({ logger: captureLogs().logger, routes });

  it('takes query parameters; a body field wins over a query parameter of the same name', async () => {
    expect((await request(app).post('/fields?a=1&b=2')).body).toEqual({ a: '1', b: '2' });
    expect((await request(app).post('/fields?a=1&b=2').send({ b: 3, c: 4 })).body).toEqual({ a: '1', b: 3, c: 4 });
  });

  it('a JSON body not an object is a 400: an array invalid_body, a bare value malformed_json', async () => {
    const post = (body: string) => request(app).post('/fields').set('content-type', 'application/json').send(body);
    for (const [body, code] of [
      ['[1]', 'invalid_body'],
      ['"text"', 'malformed_json'],
      ['null', 'malformed_json'],
      ['7', 'malformed_json'],
    ]) {
      const res = await post(body!);
      expect([res.status, res.body.error?.code], body).toEqual([400, code]);
    }
  });
});

describe('positiveInt(max): a whole number in [1, max], as a JSON number or decimal digits', () => {
  const schema = positiveInt(1_000);
  it.each([1, 7, 1_000, '7', '  7  ', '007'])('accepts %j', (value) => {
    expect(schema.parse(value)).toBe(Number(value));
  });
  it.each([
    [0, 'must be at least 1'],
    [-1, 'must be at least 1'],
    [1_001, 'must be at most 1000'],
    [1.5, 'must be a whole number'],
    ['0x10', 'must be a whole number'],
    ['1e2', 'must be a whole number'],
    ['9'.repeat(16), 'must be a whole number'],
    ['', 'must be a whole number'],
    [true, 'must be a whole number'],
    [null, 'must be a whole number'],
  ])('refuses %j: %s', (value, message) => {
    const result = schema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(message);
  });
});

describe('parseInput: a mismatch is the client mistake', () => {
  const schema = z.object({ name: z.string().min(1), count: positiveInt(10) });

  it('returns the parsed data', () => {
    expect(parseInput(schema, { name: 'a', count: '3' })).toEqual({ name: 'a', count: 3 });
  });

  it('throws a 400 invalid_request naming the first problem and listing all of them', () => {
    const error = (() => {
      try {
        parseInput(schema, { name: '', count: 11 });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', message: expect.stringMatching(/^name: /) });
    expect((error as ApiError).details).toEqual({
      issues: [
        { field: 'name', message: expect.any(String) },
        { field: 'count', message: 'must be at most 10' },
      ],
    });
    expect(() => parseInput(schema, 'not an object')).toThrow(/^\(body\): /);
  });
});
