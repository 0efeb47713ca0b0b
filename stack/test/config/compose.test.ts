// Static checks of docker-compose.yml (+ .env): the expected containers, pinned images, healthchecks that
// dependents can wait for, host ports only on the bind address and never twice, data under data_volumes/.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeRaw, composeRawDoc, containerPort, hostPort, loadCompose } from '../helpers/compose';
import { dotenv } from '../helpers/env';
import { servicePorts } from '../helpers/ports';
import { exists, readText } from '../helpers/repo';

const env = dotenv();
const { compose, unset } = loadCompose(env);
const services = compose.services;
const raw = composeRawDoc().services;
const names = Object.keys(services);

const core = ['order-service', 'inventory-service', 'otel-collector', 'prometheus', 'loki', 'jaeger', 'grafana'];
const built = ['order-service', 'inventory-service', 'load-generator'];
// Images whose container cannot run a healthcheck (see the comment in docker-compose.yml); data-init exits.
const noHealthcheck = ['otel-collector', 'load-generator', 'data-init'];
// Long-running containers (data-init runs once, as root, to hand data_volumes/ over).
const longRunning = names.filter((n) => n !== 'data-init');

/** A service's healthcheck, as compose defines it. */
function healthcheckOf(name: string): string | undefined {
  const s = services[name]!;
  return s.healthcheck && !s.healthcheck.disable ? JSON.stringify(s.healthcheck.test) : undefined;
}

describe('compose services', () => {
  it('is project ostack with the seven containers, data-init, and load-generator in profile "load"', () => {
    expect(compose.name).toBe('ostack');
    expect(names.sort()).toEqual([...core, 'data-init', 'load-generator'].sort());
    expect(services['load-generator']!.profiles).toEqual(['load']);
    for (const name of core) expect(services[name]!.profiles, name).toBeUndefined();
  });

  it('references no variable that .env leaves unset', () => {
    expect(unset).toEqual([]);
  });

  it('pins every image to an exact tag from .env', () => {
    for (const name of names.filter((n) => !built.includes(n) && n !== 'data-init')) {
      const image = raw[name]!.image ?? '';
      expect(image, name).toMatch(/^[a-z0-9./-]+:\$\{[A-Z0-9_]+\}$/);
      const variable = /\$\{([A-Z0-9_]+)\}/.exec(image)![1]!;
      expect(env[variable], `${name}: ${variable} in .env`).toMatch(/^v?\d+\.\d+\.\d+$/);
    }
    for (const name of built) {
      expect(services[name]!.image, name).toBeUndefined();
      expect(services[name]!.build, name).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    }
    // data-init reuses the services' base image: nothing more to get.
    expect(raw['data-init']!.image).toBe('node:${NODE_IMAGE_TAG}');
    expect(composeRaw()).not.toMatch(/:latest\b/);
  });

  it('pins the expected image families', () => {
    const image = (n: string) => services[n]!.image ?? '';
    expect(image('otel-collector')).toMatch(/^otel\/opentelemetry-collector-contrib:0\.\d+\.\d+$/);
    expect(image('jaeger')).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(image('prometheus')).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
    expect(image('loki')).toMatch(/^grafana\/loki:3\.7\.\d+$/);
    expect(image('grafana')).toMatch(/^grafana\/grafana:13\.\d+\.\d+$/);
  });

  it('has a healthcheck on every container whose image can run one', () => {
    for (const name of names) {
      if (noHealthcheck.includes(name)) expect(healthcheckOf(name), name).toBeUndefined();
      else expect(healthcheckOf(name), name).toBeTruthy();
    }
  });

  it('waits on dependencies with a condition they can meet', () => {
    let edges = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        edges++;
        expect(names, `${name} -> ${dep}`).toContain(dep);
        expect(services[dep]!.profiles, `${name} -> ${dep}: profiled dependency`).toBeUndefined();
        const expected =
          dep === 'data-init'
            ? 'service_completed_successfully'
            : healthcheckOf(dep)
              ? 'service_healthy'
              : 'service_started';
        expect(condition, `${name} -> ${dep}`).toBe(expected);
      }
    }
    expect(edges).toBeGreaterThanOrEqual(8);
  });

  it('restarts, limits memory and runs non-root with a read-only root filesystem', () => {
    for (const [name, s] of Object.entries(services).filter(([n]) => longRunning.includes(n))) {
      expect(s.restart, name).toBe('unless-stopped');
      expect(s.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
      expect(s.read_only, name).toBe(true);
      expect(s.user ?? '', name).not.toMatch(/^(0|root)\b/);
    }
    const total = Object.entries(services)
      .filter(([n]) => core.includes(n))
      .reduce(
        (sum, [, s]) =>
          sum +
          parseInt(s.deploy!.resources!.limits!.memory!, 10) *
            (s.deploy!.resources!.limits!.memory!.endsWith('G') ? 1024 : 1),
        0,
      );
    expect(total, 'MiB for the seven containers: laptop-sized').toBeLessThanOrEqual(4096);
  });
});

describe('compose ports', () => {
  const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((spec) => ({ name, spec })));
  const rawPorts = Object.entries(raw).flatMap(([name, s]) => (s.ports ?? []).map((spec) => ({ name, spec })));

  it('binds every host port to ${OSTACK_BIND_ADDRESS:-127.0.0.1}, loopback in .env', () => {
    expect(rawPorts.length).toBeGreaterThan(0);
    for (const { name, spec } of rawPorts)
      expect(spec, name).toMatch(/^\$\{OSTACK_BIND_ADDRESS:-127\.0\.0\.1\}:\d+:\d+$/);
    expect(env.OSTACK_BIND_ADDRESS ?? '127.0.0.1').toBe('127.0.0.1');
  });

  it('publishes no host port twice', () => {
    const hostPorts = published.map(({ spec }) => hostPort(spec));
    expect(hostPorts.length).toBe(new Set(hostPorts).size);
  });

  it('publishes only ports the service listens on, and keeps Jaeger OTLP internal', () => {
    for (const { name, spec } of published)
      expect(servicePorts[name] ?? [], `${name}: ${spec}`).toContain(containerPort(spec));
    const jaeger = (services.jaeger!.ports ?? []).map(containerPort);
    expect(jaeger).not.toContain(4317);
    expect(jaeger).not.toContain(4318);
    expect(published.map(({ spec }) => hostPort(spec))).toEqual(expect.arrayContaining([3000, 9090, 16686, 4318]));
  });
});

describe('data-init', () => {
  const init = services['data-init']!;
  it('runs once as root with only the capabilities to hand files over, on no network, before every writer', () => {
    expect(init.user).toBe('0:0');
    expect(init.network_mode).toBe('none');
    expect(init.read_only).toBe(true);
    expect(init.cap_add?.sort()).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER']);
    expect(init.volumes).toEqual(['./data_volumes:/data']);
    expect(init.environment?.OWNER).toBe(`${env.OSTACK_UID}:${env.OSTACK_GID}`);
    for (const name of ['prometheus', 'loki', 'jaeger', 'grafana', 'order-service', 'inventory-service']) {
      expect(services[name]!.depends_on?.['data-init']?.condition, name).toBe('service_completed_successfully');
      expect(JSON.stringify(init.command), name).toContain(name);
    }
  });
});

describe('compose data and settings', () => {
  const dataMounts: Record<string, string> = {
    prometheus: '/prometheus',
    loki: '/loki',
    jaeger: '/badger',
    grafana: '/var/lib/grafana',
    'order-service': '/data',
    'inventory-service': '/data',
  };

  it('keeps each data directory under data_volumes/, present in the repo, owned by the host uid', () => {
    for (const [name, target] of Object.entries(dataMounts)) {
      const s = services[name]!;
      expect(s.volumes, name).toContain(`./data_volumes/${name}:${target}`);
      expect(exists('data_volumes', name, '.gitkeep'), name).toBe(true);
      expect(raw[name]!.user, name).toBe('${OSTACK_UID:-1000}:${OSTACK_GID:-1000}');
    }
    expect(env.OSTACK_UID).toMatch(/^\d+$/);
    expect(env.OSTACK_GID).toMatch(/^\d+$/);
  });

  it('mounts configs read-only from config_volumes/', () => {
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) if (v.startsWith('./config_volumes/')) expect(v).toMatch(/:ro$/);
    }
  });

  it('gives the services the contract environment', () => {
    for (const name of ['order-service', 'inventory-service']) {
      const e = services[name]!.environment!;
      expect(e, name).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
        OTEL_SERVICE_NAME: name,
        OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=${env.OSTACK_ENVIRONMENT ?? 'demo'}`,
        PORT: String(servicePorts[name]![0]),
        DATABASE_PATH: `/data/${name}.db`,
      });
    }
    expect(services['order-service']!.environment!.INVENTORY_SERVICE_URL).toBe('http://inventory-service:8010');
    const inv = raw['inventory-service']!.environment!;
    expect(inv.INVENTORY_FAULT_ERROR_RATE).toBe('${INVENTORY_FAULT_ERROR_RATE:-0}');
    expect(inv.INVENTORY_FAULT_LATENCY_MS).toBe('${INVENTORY_FAULT_LATENCY_MS:-0}');
    expect(services['load-generator']!.environment).toMatchObject({
      ORDER_SERVICE_URL: 'http://order-service:8000',
      INVENTORY_SERVICE_URL: 'http://inventory-service:8010',
    });
  });

  it('takes the Grafana admin login from .env', () => {
    const e = raw.grafana!.environment!;
    expect(e.GF_SECURITY_ADMIN_USER).toMatch(/^\$\{GF_SECURITY_ADMIN_USER\b/);
    expect(e.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GF_SECURITY_ADMIN_PASSWORD\b/);
    expect(env.GF_SECURITY_ADMIN_USER).toBeTruthy();
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toBeTruthy();
  });
});

describe('the compose run’s data override (stack/compose/test-data.yaml)', () => {
  // Compose's `!override` tag means "replace, don't merge": read as plain YAML, the list is what replaces.
  const text = readText('stack', 'compose', 'test-data.yaml').replace(/ !override\b/g, '');
  const override = (parse(text) as { services: Record<string, { volumes: string[] }> }).services;
  it('moves exactly the data_volumes/ mounts and keeps every other mount as shipped', () => {
    for (const [name, s] of Object.entries(raw)) {
      const shipped = s.volumes ?? [];
      if (!shipped.some((v) => v.startsWith('./data_volumes'))) continue;
      const expected = shipped.map((v) =>
        v.replace(
          /^\.\/data_volumes(\/|:)/,
          (_, sep: string) =>
            `\${OSTACK_TEST_DATA${name === 'data-init' ? ':?set by stack/scripts/test-compose.sh' : ''}}${sep}`,
        ),
      );
      expect(override[name]?.volumes, name).toEqual(expected);
    }
  });
});
