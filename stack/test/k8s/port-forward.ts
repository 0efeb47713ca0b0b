// `kubectl port-forward` on loopback to one pod (or service) port: the local port kubectl chose, read from its first
// line, and a stop by pid. A forward dies with its pod; `forwardTo()` opens a new one when the last has exited.
import { type ChildProcess, spawn } from 'node:child_process';
import { namespace } from './target';

export class PortForward {
  private constructor(
    private readonly child: ChildProcess,
    readonly target: string,
    readonly localPort: number,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.localPort}`;
  }
  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `target`: `pod/NAME` or `svc/NAME`. Resolves once kubectl listens (its "Forwarding from" line). */
  static open(target: string, port: number, timeoutMs = 30_000): Promise<PortForward> {
    const child = spawn('kubectl', ['-n', namespace, 'port-forward', '--address', '127.0.0.1', target, `:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`port-forward ${target} :${port}: no answer in ${timeoutMs} ms ${err.trim()}`));
      }, timeoutMs);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = out.match(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
        if (!m) return;
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume(); // kubectl prints a line per connection: keep reading so its pipe never fills
        resolve(new PortForward(child, target, Number(m[1])));
      });
      child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`port-forward ${target} :${port} exited (${code}): ${err.trim()}`));
      });
    });
  }

  close(): void {
    if (this.alive) this.child.kill('SIGTERM');
  }
}

const open = new Map<string, Promise<PortForward>>();
/** Every kubectl this process started, stopped by pid when it exits however it ends (a test timing out). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

/** A live forward to `target`:`port`, opened once and reopened when it has died (its pod went away). */
export async function forwardTo(target: string, port: number): Promise<string> {
  const key = `${target}:${port}`;
  const existing = await open.get(key)?.catch(() => undefined);
  if (existing?.alive) return existing.url;
  const next = PortForward.open(target, port);
  open.set(key, next);
  return (await next).url;
}

/** Stops every forward this process opened (afterAll of each file). */
export async function closeForwards(): Promise<void> {
  for (const p of open.values()) (await p.catch(() => undefined))?.close();
  open.clear();
}
