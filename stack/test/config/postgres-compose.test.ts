// Static checks of the opt-in PostgreSQL override (docker-compose.postgres.yml on top of docker-compose.yml, + .env):
// the pinned official image, its healthcheck and ownership handling, each service's DATABASE_URL to a database of its
// own, the services' healthchecks left on liveness; the default stack stays on SQLite.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeRawDoc, loadCompose } from '../helpers/compose';
import { dotenv } from '../helpers/env';
import { exists, readText } from '../helpers/repo';

const env = dotenv();
const file = 'docker-compose.postgres.yml';
const { compose: base } = loadCompose(env);
const { compose, unset } = loadCompose(env, ['docker-compose.yml', file]);
const services = compose.services;
const pg = services.postgres!;
const raw = composeRawDoc(file).services;
const apps = ['order-service', 'inventory-service'] as const;
const initSql = readText('config_volumes', 'postgres', 'initdb', '01-databases.sql');

describe('docker-compose.postgres.yml', () => {
  it('adds postgres and points only the two services at it; the default stack stays on SQLite', () => {
    expect(Object.keys(raw).sort()).toEqual(['inventory-service', 'order-service', 'postgres']);
    expect(base.services.postgres).toBeUndefined();
    for (const name of apps) {
      expect(base.services[name]!.environment!.DATABASE_URL, name).toBeUndefined();
      expect(base.services[name]!.environment!.DATABASE_PATH, name).toBe(`/data/${name}.db`);
    }
    expect(unset).toEqual([]);
    expect(pg.profiles).toBeUndefined();
  });

  it('pins the official image to the PostgreSQL release and Debian suite of its stand-in (.env)', () => {
    expect(raw.postgres!.image).toBe('postgres:${POSTGRES_IMAGE_TAG}');
    // Debian bookworm's postgresql-15 is what .ci/offline-docker/build-postgres-image.sh builds the stand-in from
    expect(env.POSTGRES_IMAGE_TAG).toMatch(/^15\.\d+-bookworm$/);
    expect(pg.image).not.toMatch(/:latest\b/);
  });

  it('runs as OSTACK_UID with the other containers’ hardening, its data under data_volumes/postgres', () => {
    expect(raw.postgres!.user).toBe('${OSTACK_UID:-1000}:${OSTACK_GID:-1000}');
    expect(pg).toMatchObject({ restart: 'unless-stopped', read_only: true, cap_drop: ['ALL'] });
    expect(pg.security_opt).toContain('no-new-privileges:true');
    expect(pg.tmpfs).toEqual(expect.arrayContaining(['/tmp', '/var/run/postgresql']));
    expect(pg.deploy?.resources?.limits?.memory).toMatch(/^\d+M$/);
    expect(pg.ports).toBeUndefined();
    // the mount is the image's VOLUME itself (no anonymous volume hides it), PGDATA an empty folder below it
    expect(pg.volumes).toContain('./data_volumes/postgres:/var/lib/postgresql/data');
    expect(pg.environment!.PGDATA).toMatch(/^\/var\/lib\/postgresql\/data\/[a-z]+$/);
    expect(exists('data_volumes', 'postgres', '.gitkeep')).toBe(true);
    // data-init hands the folder to OSTACK_UID before postgres starts
    expect(pg.depends_on?.['data-init']?.condition).toBe('service_completed_successfully');
    expect(JSON.stringify(services['data-init']!.command)).toMatch(/\bpostgres\b/);
  });

  it('sets the POSTGRES_* variables from .env, the password required', () => {
    expect(raw.postgres!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(pg.environment).toMatchObject({
      POSTGRES_USER: env.POSTGRES_USER,
      POSTGRES_PASSWORD: env.POSTGRES_PASSWORD,
    });
    expect(env.POSTGRES_PASSWORD).toBeTruthy();
    expect(pg.volumes).toContain('./config_volumes/postgres/initdb:/docker-entrypoint-initdb.d:ro');
  });

  it('is healthy once the server accepts TCP connections (not during first-start initialisation)', () => {
    const test = pg.healthcheck!.test as string[];
    expect(test.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect(test.join(' ')).toContain('-h 127.0.0.1');
    expect(test.join(' ')).toContain(`-U ${env.POSTGRES_USER}`);
  });

  it.each(apps)(
    '%s: DATABASE_URL to a database of its own, created on first start, after postgres is healthy',
    (name) => {
      const s = services[name]!;
      const url = new URL(s.environment!.DATABASE_URL!);
      const db = name.replace('-', '_');
      expect(url.protocol).toBe('postgres:');
      expect([url.hostname, url.port, url.pathname]).toEqual(['postgres', '5432', `/${db}`]);
      expect([decodeURIComponent(url.username), decodeURIComponent(url.password)]).toEqual([
        env.POSTGRES_USER,
        env.POSTGRES_PASSWORD,
      ]);
      expect(initSql).toMatch(new RegExp(`^CREATE DATABASE ${db};$`, 'm'));
      expect(s.depends_on?.postgres?.condition).toBe('service_healthy');
    },
  );

  it('keeps the services’ healthchecks on liveness (GET /health), not on readiness', () => {
    for (const name of apps) {
      const test = JSON.stringify(services[name]!.healthcheck!.test);
      expect(test, name).toContain('/health');
      expect(test, name).not.toContain('/ready');
    }
  });
});

describe('the compose run’s PostgreSQL data override (stack/compose/test-data-postgres.yaml)', () => {
  const text = readText('stack', 'compose', 'test-data-postgres.yaml').replace(/ !override\b/g, '');
  const override = (parse(text) as { services: Record<string, { volumes: string[] }> }).services;
  it('moves exactly the data_volumes/ mount and keeps the init scripts as shipped', () => {
    expect(Object.keys(override)).toEqual(['postgres']);
    expect(override.postgres!.volumes).toEqual(
      raw.postgres!.volumes!.map((v) =>
        v.replace(/^\.\/data_volumes\//, '${OSTACK_TEST_DATA:?set by stack/scripts/test-compose.sh}/'),
      ),
    );
  });
});
