// serve(): clients Node itself has to refuse (slow, malformed, oversized headers) get the JSON error body of
// every other 4xx, over raw sockets; and the stop on SIGTERM, in a process of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expectSecurityHeaders } from '@ostack/test-support/hostile-input';
import { freePort } from '@ostack/test-support/net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, serve } from '../src/index';
import { captureLogs } from './log-capture';

interface Exchange {
  ms: number;
  status?: number;
  body?: unknown;
}

/**
 * Writes `first`, then `drip` every 500 ms, until the server closes the connection (or the deadline passes):
 * how long the server let it live and what it answered.
 */
function exchange(port: number, first: string, drip?: string, deadlineMs = 40_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(first));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {}); // writing after the server closed: expected
    const timer = drip ? setInterval(() => socket.write(drip), 500) : undefined;
    const deadline = setTimeout(() => socket.destroy(), deadlineMs);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(deadline);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]) || undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = body;
      }
      resolve({ ms: Date.now() - t0, status, body: parsed });
    });
  });
}

const jsonError = (code: string) => ({ error: { code, message: expect.any(String) } });

describe('serve() bounds slow and malformed clients', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const routes = express.Router();
    routes.get('/health', (_req, res) => void res.json({ status: 'ok' }));
    routes.post('/things', (req, res) => void res.status(201).json(req.body));
    const { logger } = captureLogs();
    server = await serve(createApp({ logger, routes }), { port: 0, host: '127.0.0.1', logger });
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a slow-loris client is cut off with a JSON 408: headers within 5 s, the whole request within 10 s', async () => {
    const [dripHeaders, idle, slowBody] = await Promise.all([
      exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Drip: 1\r\n'),
      exchange(port, ''),
      exchange(
        port,
        'POST /things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
        ' ',
      ),
    ]);
    // headersTimeout 5 s, checked every second; generous upper bounds for a busy machine.
    for (const cut of [dripHeaders, idle]) {
      expect(cut).toEqual({ ms: expect.any(Number), status: 408, body: jsonError('request_timeout') });
      expect(cut.ms).toBeGreaterThanOrEqual(4_500);
      expect(cut.ms).toBeLessThan(15_000);
    }
    // requestTimeout 10 s for a body that never completes.
    expect(slowBody).toEqual({ ms: expect.any(Number), status: 408, body: jsonError('request_timeout') });
    expect(slowBody.ms).toBeGreaterThanOrEqual(9_500);
    expect(slowBody.ms).toBeLessThan(20_000);
  }, 40_000);

  it('requests Node refuses before express (malformed, headers over 16 KB, odd Expect): JSON too', async () => {
    const cases: [string, number, string][] = [
      ['GARBAGE\r\n\r\n', 400, 'malformed_request'],
      ['GET / HTTP/1.1\r\nHost: x\r\nBad\u0001Header: 1\r\n\r\n', 400, 'malformed_request'],
      [
        'POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
        400,
        'malformed_request',
      ],
      [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
      [
        'POST /things HTTP/1.1\r\nHost: x\r\nExpect: the-unexpected\r\nContent-Length: 0\r\n\r\n',
        417,
        'expectation_failed',
      ],
    ];
    for (const [raw, status, code] of cases) {
      const res = await exchange(port, raw, undefined, 10_000);
      expect(res, JSON.stringify(raw.slice(0, 60))).toMatchObject({ status, body: jsonError(code) });
    }
  });

  it('still answers afterwards, with the security headers', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expectSecurityHeaders(Object.fromEntries(res.headers));
  });
});

describe('serve() on SIGTERM (a process of its own)', () => {
  const FIXTURE = join(__dirname, 'fixtures', 'serve-app.mts');
  const children: ChildProcess[] = [];

  async function start(drainTimeoutMs: number) {
    const port = await freePort();
    const child = spawn(process.execPath, [FIXTURE], {
      env: { PATH: process.env.PATH, PORT: String(port), DRAIN_TIMEOUT_MS: String(drainTimeoutMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d)); // shown only if the test fails
    const exited = once(child, 'exit') as Promise<[number | null]>;
    while (!stdout.includes('ready\n')) await new Promise((r) => setTimeout(r, 20));
    return { child, url: `http://127.0.0.1:${port}`, port, exited, stdout: () => stdout };
  }
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('stops accepting, lets the request in flight finish, runs onClose and exits 0', async () => {
    const svc = await start(10_000);
    const inFlight = fetch(`${svc.url}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    svc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const refused = await new Promise((resolve) =>
      connect(svc.port, '127.0.0.1')
        .on('error', resolve)
        .on('connect', () => resolve(null)),
    );
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    const res = await inFlight;
    expect([res.status, await res.json()]).toEqual([200, { done: true }]);
    expect(await svc.exited).toEqual([0, null]);
    expect(svc.stdout()).toBe('ready\nclosed\n');
  });

  it('a request that never finishes is cut off after drainTimeoutMs, and the process still exits 0', async () => {
    const svc = await start(500);
    const hanging = fetch(`${svc.url}/hang`).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toEqual([0, null]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await hanging).toBeInstanceOf(TypeError); // fetch failed: the server closed the connection
    expect(svc.stdout()).toBe('ready\nclosed\n');
  });
});
