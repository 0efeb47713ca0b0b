import { expectSecurityHeaders } from '@ostack/test-support/hostile-input';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ApiError, createApp } from '../src/index';
import { captureLogs } from './log-capture';

function app() {
  const { logger, records } = captureLogs();
  const routes = express.Router();
  routes.get('/items/:id', (req, res) => void res.json({ id: req.params.id, query: req.query }));
  routes.post('/items', (req, res) => void res.status(201).json({ body: req.body as unknown }));
  routes.get('/conflict', () => {
    throw new ApiError(409, 'already_there', 'it is already there', { id: 7 });
  });
  routes.get('/boom', () => {
    throw new Error('secret detail');
  });
  return { app: createApp({ logger, routes, bodyLimit: '1kb' }), records };
}

const errorBody = (code: string, message: unknown = expect.any(String)) => ({ error: { code, message } });

describe('createApp: the frame both services share', () => {
  it('sends the security headers and no x-powered-by on every answer, errors included', async () => {
    const { app: served } = app();
    for (const [path, status] of [
      ['/items/1', 200],
      ['/nope', 404],
      ['/conflict', 409],
      ['/boom', 500],
    ] as const) {
      const res = await request(served).get(path);
      expect(res.status, path).toBe(status);
      expectSecurityHeaders(res.headers, path);
    }
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await request(app().app).delete('/items/1');
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorBody('route_not_found', 'no route for DELETE /items/1'));
  });

  it('an ApiError is answered with its status, code, message and details', async () => {
    const res = await request(app().app).get('/conflict');
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: 'already_there', message: 'it is already there', id: 7 } });
  });

  it("the JSON body parser's refusals are the client's: 4xx with a code of their own", async () => {
    const served = app().app;
    const post = (headers: Record<string, string>, body: string | Buffer) => {
      let req = request(served).post('/items');
      for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
      return req.send(body);
    };
    const json = { 'content-type': 'application/json' };
    const cases: [Record<string, string>, string | Buffer, number, string][] = [
      [json, '{"a": ', 400, 'malformed_json'],
      [json, `{"a": "${'x'.repeat(2_000)}"}`, 413, 'payload_too_large'],
      [{ 'content-type': 'application/json; charset=latin1' }, '{}', 415, 'unsupported_charset'],
      [{ ...json, 'content-encoding': 'compress' }, '{}', 415, 'unsupported_encoding'],
    ];
    for (const [headers, body, status, code] of cases) {
      const res = await post(headers, body);
      expect([res.status, res.body], code).toEqual([status, errorBody(code)]);
    }
    expect((await post(json, '{"a": 1}')).body).toEqual({ body: { a: 1 } });
  });

  it('an unexpected error is a 500 that tells nothing, and is logged with its stack', async () => {
    const { app: served, records } = app();
    const res = await request(served).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual(errorBody('internal_error', 'internal server error'));
    const logged = records.find((r) => r.message === 'request failed');
    expect(logged).toMatchObject({ level: 'error', error: 'secret detail', path: '/boom' });
    expect(String(logged?.stack)).toMatch(/^Error: secret detail\n\s+at /);
  });

  it('the access log: one line per request, at info, warn or error by status, with the route', async () => {
    const { app: served, records } = app();
    await request(served).get('/items/7?x=1');
    await request(served).get('/conflict');
    await request(served).get('/boom');
    const access = records.filter((r) => 'http.response.status_code' in r);
    expect(access.map((r) => [r.level, r.message])).toEqual([
      ['info', 'GET /items/7 200'],
      ['warn', 'GET /conflict 409'],
      ['error', 'GET /boom 500'],
    ]);
    expect(access[0]).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/items/:id',
      'url.path': '/items/7',
    });
    expect(access[0]?.duration_ms).toBeTypeOf('number');
    expect(records.filter((r) => r.message === 'request failed')).toHaveLength(1); // 4xx are not errors
  });

  it('query strings are flat: `a[b]=c` is the key "a[b]", never a nested object', async () => {
    const res = await request(app().app).get('/items/1?a[b]=c&d=e');
    expect(res.body.query).toEqual({ 'a[b]': 'c', d: 'e' });
  });
});
