// A PostgreSQL server for tests: Debian's `postgresql` package (which .ci/run installs), run on loopback on a free
// port with its own data folder, as an unprivileged user (PostgreSQL refuses root), stopped by its pid.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './net.mts';

/** The folder with initdb and postgres: POSTGRES_BIN when set, else the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBin(): string | undefined {
  const candidates = process.env.POSTGRES_BIN ? [process.env.POSTGRES_BIN] : [];
  const root = '/usr/lib/postgresql';
  if (!process.env.POSTGRES_BIN && existsSync(root)) {
    const majors = readdirSync(root).filter((v) => /^\d+$/.test(v));
    candidates.push(...majors.sort((a, b) => Number(b) - Number(a)).map((v) => join(root, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

/**
 * Why the PostgreSQL cases cannot run here, or undefined when they can. On CI (CI=true) they must run: there a
 * missing server is an error, not a skip.
 */
export function postgresMissing(): string | undefined {
  if (postgresBin()) return undefined;
  const why = 'no PostgreSQL server binary (apt-get install postgresql, or set POSTGRES_BIN)';
  if (process.env.CI === 'true') throw new Error(`CI must run the PostgreSQL tests: ${why}`);
  return why;
}

/** Who runs the server: this user, or `nobody` when this is root. */
function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export class PostgresServer {
  private child?: ChildProcess;
  private exited?: Promise<unknown>;
  private databases = 0;
  readonly log: string[] = [];

  private constructor(
    private readonly bin: string,
    readonly dataDir: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** initdb in a fresh folder, then start. */
  static async start(): Promise<PostgresServer> {
    const bin = postgresBin();
    if (!bin) throw new Error(postgresMissing() ?? 'no PostgreSQL');
    const dataDir = mkdtempSync(join(tmpdir(), 'pg-test-'));
    const user = owner();
    if (user) chownSync(dataDir, user.uid, user.gid);
    execFileSync(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { stdio: 'pipe', ...user },
    );
    const server = new PostgresServer(bin, dataDir, await freePort(), user);
    await server.resume();
    return server;
  }

  /** The URL of a database on this server. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A new empty database, for one test: its URL. */
  async createDatabase(prefix = 'test'): Promise<string> {
    const name = `${prefix}_${process.pid}_${++this.databases}`;
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Starts the server (again) on its port and data folder; resolves once it accepts connections. */
  async resume(): Promise<void> {
    // Durability off: a test's database dies with the test, and fsync on a shared 2-core machine is slow.
    const args = ['-D', this.dataDir, '-h', '127.0.0.1', '-p', String(this.port), '-k', this.dataDir];
    for (const setting of ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=200']) {
      args.push('-c', setting);
    }
    const child = spawn(join(this.bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...this.user });
    child.stderr.on('data', (d: Buffer) => this.log.push(d.toString()));
    this.child = child;
    this.exited = once(child, 'exit');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`postgres did not start: ${(err as Error).message}\n${this.log.join('')}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server by its pid (fast shutdown: open sessions are ended), keeping its data folder. */
  async pause(): Promise<void> {
    await this.signal('SIGINT');
  }

  /** Stops the server at once (immediate shutdown: nothing is flushed) and removes its data folder. */
  async stop(): Promise<void> {
    await this.signal('SIGQUIT');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}
