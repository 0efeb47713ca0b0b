// Static checks of the Node images: the base image pinned from .env (and in step with .nvmrc), every local
// workspace a service needs installed, built and copied, a non-root runtime that starts with the OTel
// bootstrap preloaded, a /health HEALTHCHECK for the services, and a .dockerignore that keeps stale build
// output and host node_modules out.
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { dotenv } from '../helpers/env';
import { servicePorts } from '../helpers/ports';
import { exists, readText } from '../helpers/repo';

const env = dotenv();
const { compose } = loadCompose(env);
const images = ['order-service', 'inventory-service', 'load-generator'];

interface Pkg {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}
const pkg = (dir: string): Pkg => JSON.parse(readText(dir, 'package.json')) as Pkg;
const rootWorkspaces = pkg('.').workspaces ?? [];
const workspaceDirByName = Object.fromEntries(
  rootWorkspaces.filter((w) => exists(w, 'package.json')).map((w) => [pkg(w).name, w]),
);

/** The workspace and every local workspace it depends on, transitively. */
function closure(dir: string, seen = new Set<string>()): Set<string> {
  seen.add(dir);
  for (const dep of Object.keys(pkg(dir).dependencies ?? {})) {
    const local = workspaceDirByName[dep];
    if (local && !seen.has(local)) closure(local, seen);
  }
  return seen;
}

/** Stages of a Dockerfile: instructions (continuations joined) per FROM. */
function stages(text: string): Array<{ from: string; lines: string[] }> {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: Array<{ from: string; lines: string[] }> = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) out.push({ from: line, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const workspacesIn = (line: string) => [...line.matchAll(/--workspace[= ](\S+)/g)].map((m) => m[1]!);

describe.each(images)('%s/Dockerfile', (name) => {
  const text = readText(name, 'Dockerfile');
  const all = stages(text);
  const runtime = all.at(-1)!;
  const present = exists(name, 'package.json');

  it('builds from the node image pinned in .env, in step with .nvmrc', () => {
    const nvmrc = readText('.nvmrc').trim().replace(/^v/, '');
    expect(env.NODE_IMAGE_TAG).toMatch(new RegExp(`^${nvmrc.replace(/\./g, '\\.')}-[a-z]+(-slim)?$`));
    expect(text).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${env.NODE_IMAGE_TAG!.replace(/\./g, '\\.')}$`, 'm'));
    expect(compose.services[name]!.build?.args?.NODE_IMAGE).toBe(`node:${env.NODE_IMAGE_TAG}`);
    expect(all.map((s) => s.from)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
  });

  it('runs as the non-root node user with the OTel bootstrap preloaded', () => {
    expect(runtime.lines).toContain('USER node');
    expect(runtime.lines).toContain(`WORKDIR /app/${name}`);
    expect(runtime.lines.at(-1)).toBe('CMD ["node", "--require", "@ostack/telemetry/register", "dist/main.js"]');
    expect(runtime.lines).toContain('ENV NODE_ENV=production');
    expect(runtime.lines.join('\n')).not.toMatch(/NODE_OPTIONS/);
  });

  it.runIf(name !== 'load-generator')('checks /health on its port with node fetch', () => {
    const check = runtime.lines.find((l) => l.startsWith('HEALTHCHECK'));
    expect(check).toMatch(/CMD \["node", "-e", ".*fetch\('http:\/\/127\.0\.0\.1:'.*\/health'/);
    const port = servicePorts[name]![0];
    expect(runtime.lines).toContain(`EXPOSE ${port}`);
    expect(runtime.lines).toContain(`ENV PORT=${port}`);
  });

  it.skipIf(!present)('installs, builds and copies every local workspace it depends on', () => {
    const needed = [...closure(name)].sort();
    for (const w of needed) expect(rootWorkspaces, `${w} is an npm workspace`).toContain(w);
    const build = all[0]!.lines;
    const npmCi = build.find((l) => l.startsWith('RUN npm ci'))!;
    expect(workspacesIn(npmCi).sort(), npmCi).toEqual(needed);
    expect(npmCi).toContain('--include-workspace-root'); // typescript is a root devDependency
    const npmBuild = build.find((l) => l.startsWith('RUN npm run build'))!;
    expect(workspacesIn(npmBuild).sort(), npmBuild).toEqual(needed);
    const prodCi = runtime.lines.find((l) => l.startsWith('RUN npm ci'))!;
    expect(prodCi).toContain('--omit=dev');
    expect(workspacesIn(prodCi).sort(), prodCi).toEqual(needed);
    for (const w of needed) {
      expect(build, w).toContain(`COPY ${w}/package.json ${w}/`);
      expect(build, w).toContain(`COPY ${w}/ ${w}/`);
      expect(runtime.lines, w).toContain(`COPY ${w}/package.json ${w}/`);
      expect(runtime.lines, w).toContain(`COPY --from=build /app/${w}/dist ${w}/dist`);
    }
  });
});

describe('.dockerignore', () => {
  const patterns = readText('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  it('keeps host node_modules, build output, data and secrets out of the build context', () => {
    for (const p of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.env', 'data_volumes', '.git']) {
      expect(patterns).toContain(p);
    }
    for (const keep of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'telemetry', 'src']) {
      expect(patterns).not.toContain(keep);
    }
  });
});
