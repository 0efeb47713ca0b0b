// Every host:port that a shipped config names (Prometheus targets, Collector exporters, Grafana datasource
// URLs, Jaeger's metrics backend, the services' environment) must be a compose service listening on that
// port: a typo here is "connection refused" at run time, found only by reading container logs.
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { servicePorts } from '../helpers/ports';
import { listFiles, readText, readYaml } from '../helpers/repo';

const { compose } = loadCompose();
const services = compose.services;

interface Ref {
  where: string;
  host: string;
  port: number;
}

// host:port, optionally as a URL; IPs other than loopback and wildcard binds are not references.
const hostPort = /^(?:[a-z]+:\/\/)?([a-z][a-z0-9.-]*):(\d{2,5})(?:[/?].*)?$/i;
const bindOnly = new Set(['0.0.0.0', '::', '']);

function collect(value: unknown, where: string, out: Ref[]): Ref[] {
  if (typeof value === 'string') {
    const m = hostPort.exec(value.trim());
    if (m && !bindOnly.has(m[1]!)) out.push({ where, host: m[1]!, port: Number(m[2]) });
  } else if (Array.isArray(value)) value.forEach((v, i) => collect(v, `${where}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collect(v, `${where}.${k}`, out);
  }
  return out;
}

// config_volumes/<dir> is read by this compose service (where "localhost" means the service itself).
const configOwners: Record<string, string> = {
  prometheus: 'prometheus',
  loki: 'loki',
  'otel-collector': 'otel-collector',
  jaeger: 'jaeger',
  'grafana/provisioning/datasources': 'grafana',
};

function configRefs(): Array<Ref & { owner: string }> {
  return Object.entries(configOwners).flatMap(([dir, owner]) =>
    listFiles(`config_volumes/${dir}`, '')
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .flatMap((f) => {
        const path = `config_volumes/${dir}/${f}`;
        const doc = f.endsWith('.json') ? JSON.parse(readText(path)) : readYaml(path);
        return collect(doc, path, []).map((r) => ({ ...r, owner }));
      }),
  );
}

function envRefs(): Array<Ref & { owner: string }> {
  return Object.entries(services).flatMap(([owner, s]) =>
    collect(s.environment ?? {}, `docker-compose.yml ${owner}.environment`, []).map((r) => ({ ...r, owner })),
  );
}

describe('host:port references', () => {
  const refs = [...configRefs(), ...envRefs()];

  it('finds the references the stack depends on', () => {
    const seen = new Set(refs.map((r) => `${r.host}:${r.port}`));
    for (const want of [
      'otel-collector:8889',
      'otel-collector:8888',
      'jaeger:8888', // Prometheus targets
      'jaeger:4317',
      'loki:3100', // Collector exporters
      'prometheus:9090',
      'jaeger:16686', // Grafana datasources (+ Jaeger's metrics backend)
      'otel-collector:4318',
      'inventory-service:8010',
      'order-service:8000', // services' environment
    ])
      expect(seen, want).toContain(want);
  });

  it('names only compose services on ports they listen on', () => {
    for (const { where, host, port, owner } of refs) {
      const target = ['localhost', '127.0.0.1'].includes(host) ? owner : host;
      expect(Object.keys(services), `${where}: unknown host ${host}`).toContain(target);
      expect(servicePorts[target] ?? [], `${where}: ${target} does not listen on ${port}`).toContain(port);
      if (!services[owner]!.profiles)
        expect(services[target]!.profiles, `${where}: ${target} is profiled`).toBeUndefined();
    }
  });

  it('lists ports only for compose services', () => {
    for (const name of Object.keys(servicePorts)) expect(Object.keys(services)).toContain(name);
  });
});
