// PostgreSQL out of reach, in-process: refused (the server stopped) and silent (a proxy that drops every byte, as
// a network partition does). Requests that need the database answer 503 with the JSON error body within a bound,
// never a 500 or a hang; liveness (/health) stays up, readiness (/ready) goes down; both recover by themselves.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@ostack/telemetry';
import { postgresMissing, PostgresServer } from '@ostack/test-support/postgres';
import { TcpProxy } from '@ostack/test-support/tcp-proxy';
import { buildInventoryService, type InventoryService } from '../src/app';
import { readConfig } from '../src/config';

const logger = createLogger('inventory-service', 'error');
logger.silent = true;
const missing = postgresMissing();
// Short bounds, so the test is quick: an answer within connect + statement timeouts and a second of slack.
const CONNECT_MS = 1_000;
const STATEMENT_MS = 1_000;
const BOUND_MS = CONNECT_MS + STATEMENT_MS + 1_000 + 1_000;

let server: PostgresServer;
let proxy: TcpProxy;
let svc: InventoryService;

beforeAll(async () => {
  if (missing) return;
  server = await PostgresServer.start();
  const url = new URL(await server.createDatabase('inventory'));
  proxy = await TcpProxy.start(server.port);
  url.port = String(proxy.port);
  const config = readConfig({
    DATABASE_URL: url.toString(),
    DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
    DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
  });
  svc = buildInventoryService(config, logger, 'test');
  await svc.store.ready;
}, 60_000);

afterAll(async () => {
  await svc?.close();
  await proxy?.close();
  await server?.stop();
});

/** Each route that needs the database, with the time its answer took. */
async function answers() {
  const timed = async (req: request.Test) => {
    const started = Date.now();
    const res = await req;
    return { status: res.status, body: res.body as { error?: { code: string } }, ms: Date.now() - started };
  };
  return Promise.all([
    timed(request(svc.app).get('/list-products')),
    timed(request(svc.app).post('/reduce-stock').set('Idempotency-Key', `k-${Date.now()}`).send({ product_id: 2 })),
    timed(request(svc.app).post('/restock').send({ product_id: 2, quantity: 1 })),
  ]);
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const ready = async () => (await request(svc.app).get('/ready')).status === 200;

describe.skipIf(missing)(`PostgreSQL out of reach${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('silent (packets dropped): 503 within the bound, /health up, /ready down; recovers', async () => {
    expect((await answers()).map((a) => a.status)).toEqual([200, 200, 200]);
    proxy.goSilent();
    for (let round = 0; round < 2; round++) {
      for (const a of await answers()) {
        expect(a).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });
        expect(a.ms).toBeLessThan(BOUND_MS);
      }
    }
    await request(svc.app).get('/health').expect(200);
    await eventually('/ready says 503', async () => !(await ready()));
    const notReady = await request(svc.app).get('/ready').expect(503);
    expect(notReady.body.error).toMatchObject({ code: 'database_unavailable', database: { system: 'postgresql' } });
    proxy.resume();
    await eventually('/ready says 200 again', ready);
    expect((await answers()).map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it('refused (server stopped): 503 at once, /health up; recovers when it is back', async () => {
    await server.pause();
    for (const a of await answers()) {
      expect(a).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });
      expect(a.ms).toBeLessThan(BOUND_MS);
    }
    await request(svc.app).get('/health').expect(200);
    await eventually('/ready says 503', async () => !(await ready()));
    await server.resume();
    await eventually('/ready says 200 again', ready);
    await eventually('requests answered 200 again', async () => (await answers()).every((a) => a.status === 200));
  });

  it('a service started while PostgreSQL is down answers 503, then serves once it is up', async () => {
    const url = await server.createDatabase('late');
    await server.pause();
    const late = buildInventoryService(readConfig({ DATABASE_URL: url }), logger, 'test');
    try {
      const res = await request(late.app).get('/list-products').expect(503);
      expect(res.body.error.code).toBe('database_unavailable');
      await request(late.app).get('/health').expect(200);
      await request(late.app).get('/ready').expect(503);
      await server.resume();
      await eventually('the late service serves', async () => (await request(late.app).get('/list-products')).ok);
      await eventually('/ready', async () => (await request(late.app).get('/ready')).ok);
    } finally {
      await late.close();
    }
  });
});
