// The OpenSearch STAND-IN image's entrypoint (.ci/offline-docker/images/opensearch/), run here with a fake
// `opensearch` that prints its arguments: it must configure OpenSearch from the environment the way the official
// image does for what the chart sets, and refuse root. Plus the pins the Kubernetes lane's images share with the chart.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDotenv } from '../helpers/env';
import { exists, readText, readYaml, repoPath } from '../helpers/repo';

const entrypoint = repoPath('.ci/offline-docker/images/opensearch/opensearch-docker-entrypoint.sh');
const bin = mkdtempSync(join(tmpdir(), 'ostack-os-entrypoint-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
const fake = (name: string, body: string) => {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
};
fake('opensearch', 'printf "JAVA_OPTS=%s\\n" "$OPENSEARCH_JAVA_OPTS"; for a in "$@"; do printf "ARG=%s\\n" "$a"; done');
fake('id', 'echo "${FAKE_UID:-1000}"');

const run = (env: Record<string, string>, args: string[] = []) => {
  const r = spawnSync('bash', [entrypoint, ...args], {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ...env },
    encoding: 'utf8',
  });
  const lines = r.stdout.split('\n');
  return {
    status: r.status,
    stderr: r.stderr,
    args: lines.filter((l) => l.startsWith('ARG=')).map((l) => l.slice(4)),
    javaOpts: lines.find((l) => l.startsWith('JAVA_OPTS='))?.slice(10),
  };
};

describe('OpenSearch stand-in entrypoint', () => {
  it('turns settings in the environment into -E flags, as the official image does', () => {
    const r = run({
      'cluster.name': 'ostack-opensearch',
      'discovery.seed_hosts': 'a,b,c',
      'node.store.allow_mmap': 'false',
      'cluster.routing.allocation.awareness.attributes': 'zone',
      'node.attr.note': 'x=y', // a value that holds '='
      processors: '2',
      'empty.setting': '',
      NOT_A_SETTING: 'ignored',
      'Upper.case': 'ignored',
      OPENSEARCH_JAVA_OPTS: '-Xms256m -Xmx256m',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.args.sort()).toEqual(
      [
        '-Ecluster.name=ostack-opensearch',
        '-Ediscovery.seed_hosts=a,b,c',
        '-Enode.store.allow_mmap=false',
        '-Ecluster.routing.allocation.awareness.attributes=zone',
        '-Enode.attr.note=x=y',
        '-Eprocessors=2',
      ].sort(),
    );
    expect(r.javaOpts).toBe('-Dopensearch.cgroups.hierarchy.override=/ -Xms256m -Xmx256m');
  });

  it('accepts the official switches of the security plugin it lacks, and drops its settings', () => {
    const r = run({ DISABLE_SECURITY_PLUGIN: 'true', 'plugins.security.disabled': 'true', 'node.name': 'n0' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.args).toEqual(['-Enode.name=n0']);
    expect(r.stderr).toContain('ignoring plugins.security.disabled');
  });

  it('passes flags given as arguments to opensearch, and runs any other command as given', () => {
    expect(run({}, ['-Enode.name=n1']).args).toEqual(['-Enode.name=n1']);
    const other = spawnSync('bash', [entrypoint, 'echo', 'plain'], { encoding: 'utf8' });
    expect(other.stdout).toBe('plain\n');
  });

  it('refuses to run OpenSearch as root', () => {
    const r = run({ FAKE_UID: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot run as root');
  });
});

describe('Kubernetes lane image pins', () => {
  const versions = parseDotenv(readText('.ci/k8s/versions.env'));
  const jaeger = parseDotenv(readText('stack/jaeger/build.env'));

  it.runIf(exists('charts/ostack/values.yaml'))('builds the OpenSearch and index-cleaner tags the chart names', () => {
    const image = readYaml('charts/ostack/values.yaml').image;
    expect(image.opensearch).toEqual({ repository: 'opensearchproject/opensearch', tag: versions.OPENSEARCH_VERSION });
    expect(image.esIndexCleaner).toEqual({
      repository: 'jaegertracing/jaeger-es-index-cleaner',
      tag: jaeger.JAEGER_GO_VERSION?.replace(/^v/, ''),
    });
  });
});
