// Static checks of the Node images (one Dockerfile, per-workspace build arguments): the base image pinned from
// .env (and in step with .nvmrc), every local workspace a service needs installed, built and copied, the npm CA
// only as a build secret, a non-root runtime that starts with the OTel bootstrap preloaded, compose healthchecks
// of /health, and a .dockerignore that keeps stale build output and host node_modules out.
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
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Array<{ from: string; lines: string[] }> = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) out.push({ from: line, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe('Dockerfile (one recipe for the Node workspaces)', () => {
  const text = readText('Dockerfile');
  const all = stages(text);
  const [build, runtime] = [all[0]!, all.at(-1)!];
  const buildArgs = (name: string) => ({ LOCAL_DEPS: 'telemetry service-kit', ...compose.services[name]!.build?.args });

  it('builds from the node image pinned in .env, in step with .nvmrc, without a registry-only syntax line', () => {
    const nvmrc = readText('.nvmrc').trim().replace(/^v/, '');
    expect(env.NODE_IMAGE_TAG).toMatch(new RegExp(`^${nvmrc.replace(/\./g, '\\.')}-[a-z]+(-slim)?$`));
    expect(text).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${env.NODE_IMAGE_TAG!.replace(/\./g, '\\.')}$`, 'm'));
    expect(all.map((s) => s.from)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
    // `# syntax=` makes BuildKit fetch a frontend image from a registry first.
    expect(text).not.toMatch(/^#\s*syntax=/im);
  });

  it.each(images)('compose builds %s from it with the pinned base and its workspace', (name) => {
    const b = compose.services[name]!.build!;
    expect(b).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(b.args).toMatchObject({ NODE_IMAGE: `node:${env.NODE_IMAGE_TAG}`, WORKSPACE: name });
  });

  it.each(images)('%s: its LOCAL_DEPS are every local workspace it depends on', (name) => {
    const needed = [...closure(name)].filter((w) => w !== name).sort();
    for (const w of needed) expect(rootWorkspaces, `${w} is an npm workspace`).toContain(w);
    expect(buildArgs(name).LOCAL_DEPS.split(' ').sort()).toEqual(needed);
  });

  it('installs, builds and ships exactly $LOCAL_DEPS and $WORKSPACE, production dependencies only at runtime', () => {
    const loop = 'for w in $LOCAL_DEPS $WORKSPACE';
    const npmCi = build.lines.find((l) => l.includes('npm ci'))!;
    expect(npmCi).toContain(loop);
    expect(npmCi).toContain('--include-workspace-root'); // typescript is a root devDependency
    expect(build.lines.find((l) => l.startsWith('RUN npm run build'))).toContain(loop);
    const prodCi = runtime.lines.find((l) => l.includes('npm ci'))!;
    expect(prodCi).toContain('--omit=dev');
    expect(prodCi).toContain(loop);
    expect(runtime.lines).toContain('COPY --from=build /out/dist/ ./');
  });

  it('trusts an extra CA for npm only through a build secret, never baked in', () => {
    for (const stage of [build, runtime]) {
      const npmCi = stage.lines.find((l) => l.includes('npm ci'))!;
      expect(npmCi).toMatch(/^RUN --mount=type=secret,id=npm_ca /);
      expect(npmCi).toContain('NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca');
    }
    expect(text).not.toMatch(/^(ENV|ARG)\s+NODE_EXTRA_CA_CERTS/m);
    expect(compose.services['order-service']!.build).toMatchObject({ secrets: ['npm_ca'] });
  });

  it('runs as the non-root node user with the OTel bootstrap preloaded', () => {
    expect(runtime.lines).toContain('USER node');
    expect(runtime.lines).toContain('WORKDIR /app/${WORKSPACE}');
    expect(runtime.lines.at(-1)).toBe('CMD ["node", "--require", "@ostack/telemetry/register", "dist/main.js"]');
    expect(runtime.lines).toContain('ENV NODE_ENV=production');
    expect(runtime.lines.join('\n')).not.toMatch(/NODE_OPTIONS/);
  });

  it.each(['order-service', 'inventory-service'])('%s: compose checks /health on its port with node fetch', (name) => {
    const check = JSON.stringify(compose.services[name]!.healthcheck?.test);
    expect(check).toMatch(/fetch\('http:\/\/127\.0\.0\.1:'\+process\.env\.PORT\+'\/health'\)/);
    expect(compose.services[name]!.environment!.PORT).toBe(String(servicePorts[name]![0]));
  });
});

describe('.dockerignore', () => {
  const patterns = readText('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  it('keeps host node_modules, build output, data and secrets out of the build context', () => {
    for (const p of ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.env', 'data_volumes', '*/data', '.git']) {
      expect(patterns).toContain(p);
    }
    for (const keep of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'telemetry', 'src']) {
      expect(patterns).not.toContain(keep);
    }
  });
});
