// The opt-in PostgreSQL variant (docker-compose.postgres.yml), run as users run it: every container healthy, both
// services on their own database of one PostgreSQL, one order's trace holding the pg spans of both services under
// their own service's spans, the Database dashboard's queries answered, and liveness vs readiness while PostgreSQL
// is stopped. stack/scripts/test-compose.sh runs it in a project of its own with the override file; against a stack
// without the override (a user's default `docker compose up`) it is skipped, saying why.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queries } from '../helpers/grafana';
import { dotenv } from '../helpers/env';
import {
  eventually,
  type JaegerSpan,
  jaegerTrace,
  type JaegerTrace,
  parentOf,
  promQuery,
  serviceOf,
  stillMissing,
  tag,
} from './backends';
import { stack as target } from './target';
import { send, type Sent, trickle } from './traffic';

const { urls } = target;
const env = { ...dotenv(), ...process.env } as Record<string, string>;
const onPostgres = (() => {
  try {
    return target.compose(['config', '--services']).split('\n').includes('postgres');
  } catch {
    return false;
  }
})();
if (!onPostgres)
  console.log('postgres.test.ts skipped: this stack has no postgres service (docker-compose.postgres.yml)');

const apps = ['order-service', 'inventory-service'] as const;
/** Each service's span that its database work belongs to. */
const domainSpan = { 'order-service': 'order.place', 'inventory-service': 'inventory.reduce_stock' } as const;
const containerOf = (service: string) => target.compose(['ps', '-q', service]).trim();
const inspect = (id: string, format: string) =>
  execFileSync('docker', ['inspect', '-f', format, id], { encoding: 'utf8' }).trim();

describe.runIf(onPostgres)('the PostgreSQL variant (docker-compose.postgres.yml)', () => {
  let order: Sent;
  let stopTrickle: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    await send(urls.inventory, 'POST', '/restock', { product_id: 3, quantity: 10 });
    order = await send(urls.order, 'POST', '/order-product', { username: 'pg', product_id: 3, quantity: 1 });
    stopTrickle = trickle(urls.order, urls.inventory);
  }, 120_000);

  afterAll(async () => {
    await stopTrickle?.();
  }, 120_000);

  it('brings every container up healthy, postgres from the image .env pins, its data owned by OSTACK_UID', () => {
    for (const service of ['postgres', ...apps]) {
      const id = containerOf(service);
      expect(inspect(id, '{{.State.Status}} {{.State.Health.Status}} {{.RestartCount}}'), service).toBe(
        'running healthy 0',
      );
    }
    const pg = containerOf('postgres');
    expect(inspect(pg, '{{.Config.Image}}')).toBe(`postgres:${env.POSTGRES_IMAGE_TAG}`);
    expect(inspect(pg, '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}')).toBe(
      `${env.OSTACK_UID}:${env.OSTACK_GID} true`,
    );
    // CI's offline Docker (.ci/offline-docker/provision.sh): the image it built, not another of the same name.
    if (process.env.OSTACK_LOCAL_IMAGES === '1')
      expect(inspect(pg, '{{index .Config.Labels "org.opencontainers.image.vendor"}}')).toBe('ostack-local-build');
    if (target.kind === 'own') {
      const pgdata = join(env.OSTACK_TEST_DATA!, 'postgres', 'pgdata');
      expect(statSync(join(pgdata, 'PG_VERSION')).uid).toBe(Number(env.OSTACK_UID));
    }
  });

  it('runs each service on its own database of that PostgreSQL (first-start initialisation ran)', () => {
    const databases = target
      .compose([
        'exec',
        '-T',
        'postgres',
        'psql',
        '-U',
        env.POSTGRES_USER!,
        '-d',
        'postgres',
        '-Atc',
        'SELECT datname FROM pg_database',
      ])
      .split('\n');
    expect(databases).toEqual(expect.arrayContaining(['order_service', 'inventory_service']));
    const tables = (db: string) =>
      target.compose(['exec', '-T', 'postgres', 'psql', '-U', env.POSTGRES_USER!, '-d', db, '-Atc', '\\dt']).trim();
    expect(tables('order_service')).toMatch(/\borders\b/);
    expect(tables('inventory_service')).toMatch(/\bproducts\b/);
  });

  it('places the order', () => {
    expect(order.status).toBe(201);
  });

  it('one order’s trace holds pg spans of both services, each under its own service’s spans', async () => {
    const trace: JaegerTrace = await eventually('the order trace with both services’ pg spans', async () => {
      const t = await jaegerTrace(urls.jaeger, order.traceId);
      const pgOf = (service: string) =>
        t?.spans.filter((s) => serviceOf(t, s) === service && tag(s, 'db.system.name') === 'postgresql') ?? [];
      return t &&
        apps.every((a) => pgOf(a).length > 0) &&
        t.spans.some((s) => s.operationName === domainSpan['inventory-service'])
        ? t
        : undefined;
    });
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const ancestors = (span: JaegerSpan): JaegerSpan[] => {
      const parent = byId.get(parentOf(span) ?? '');
      return parent ? [parent, ...ancestors(parent)] : [];
    };
    for (const service of apps) {
      const pg = trace.spans.filter(
        (s) => serviceOf(trace, s) === service && tag(s, 'db.system.name') === 'postgresql',
      );
      expect(pg.length, service).toBeGreaterThan(0);
      for (const span of pg) {
        const parent = byId.get(parentOf(span) ?? '');
        expect(parent, `${service}: ${span.operationName} has its parent in the trace`).toBeDefined();
        expect(serviceOf(trace, parent!), `${service}: ${span.operationName}'s parent`).toBe(service);
        expect(tag(span, 'db.namespace'), span.operationName).toBe(service.replace('-', '_'));
      }
      // the statements of the order: beneath the service's domain span
      const domain = trace.spans.find(
        (s) => serviceOf(trace, s) === service && s.operationName === domainSpan[service],
      );
      expect(domain, `${service}: ${domainSpan[service]}`).toBeDefined();
      const queries = pg.filter((s) => s.operationName.startsWith('pg.query:'));
      expect(queries.length, `${service}: pg.query spans`).toBeGreaterThan(0);
      expect(
        queries.filter((s) => ancestors(s).includes(domain!)).length,
        `${service}: pg.query spans beneath ${domainSpan[service]}`,
      ).toBeGreaterThan(0);
    }
  }, 120_000);

  it('reports the pools, the queries and the database as up, per service', async () => {
    const missing = async () => {
      const empty: string[] = [];
      for (const service of apps)
        for (const q of [
          `ostack_database_up{service_name="${service}", db_system_name="postgresql"} == 1`,
          `db_client_connection_count{service_name="${service}", db_client_connection_state="idle"}`,
          `db_client_connection_count{service_name="${service}", db_client_connection_state="used"}`,
          `db_client_connection_max{service_name="${service}"} > 0`,
          `db_client_connection_pending_requests{service_name="${service}"}`,
          `db_client_operation_duration_seconds_count{service_name="${service}", db_system_name="postgresql"} > 0`,
        ])
          if ((await promQuery(urls.prometheus, q)).length === 0) empty.push(q);
      return empty;
    };
    expect(await stillMissing('the database metrics of both services', missing, 120_000)).toEqual([]);
  }, 150_000);

  it('every query of the Database dashboard returns data', async () => {
    const db = queries().filter((q) => q.uid === 'prometheus' && q.where.startsWith('database.json '));
    expect(db.length).toBeGreaterThan(5);
    const empty = async () => {
      const out: string[] = [];
      for (const q of db)
        if ((await promQuery(urls.prometheus, q.expr)).length === 0) out.push(`${q.where}: ${q.expr}`);
      return out;
    };
    expect(await stillMissing('data for every Database dashboard query', empty, 120_000)).toEqual([]);
  }, 150_000);

  it('with PostgreSQL stopped: liveness and the healthchecks stay up, readiness and orders answer 503', async () => {
    await target.stop('postgres');
    try {
      for (const [service, base] of [
        ['order-service', urls.order],
        ['inventory-service', urls.inventory],
      ] as const) {
        const ready = await eventually(`${service} /ready 503`, async () => {
          const r = await fetch(`${base}/ready`);
          return r.status === 503 ? r : undefined;
        });
        expect(((await ready.json()) as { error?: { code?: string } }).error?.code, service).toBeTruthy();
        expect((await fetch(`${base}/health`)).status, service).toBe(200);
      }
      const refused = await send(urls.order, 'POST', '/order-product', { username: 'pg', product_id: 3, quantity: 1 });
      expect(refused.status).toBe(503);
      expect(refused.body?.error).toBeTruthy();
      // healthchecks (liveness) keep both services healthy through the outage
      await new Promise((r) => setTimeout(r, 12_000));
      for (const service of apps)
        expect(inspect(containerOf(service), '{{.State.Health.Status}} {{.RestartCount}}'), service).toBe('healthy 0');
    } finally {
      await target.start('postgres');
    }
    for (const base of [urls.order, urls.inventory])
      await eventually(`${base}/ready 200 again`, async () => ((await fetch(`${base}/ready`)).ok ? true : undefined));
    const after = await eventually('an order placed again', async () => {
      const r = await send(urls.order, 'POST', '/order-product', { username: 'pg', product_id: 3, quantity: 1 });
      return r.status === 201 ? r : undefined;
    });
    expect(after.status).toBe(201);
  }, 180_000);
});
