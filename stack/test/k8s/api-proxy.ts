// `kubectl proxy` on a loopback port: HTTP to a Service through the apiserver's service proxy, which sends each
// request to one of the Service's ready endpoints, as a client of the Service would be served.
import { type ChildProcess, spawn } from 'node:child_process';
import { namespace } from './target';

let proxy: { child: ChildProcess; base: string } | undefined;
process.once('exit', () => stopProxy());

async function start(): Promise<string> {
  const child = spawn('kubectl', ['proxy', '--port=0', '--address=127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubectl proxy: no answer in 20 s ${err}`)), 20_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/Starting to serve on 127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl proxy exited (${code}): ${err}`));
    });
  });
  proxy = { child, base };
  return base;
}

/** The base URL of Service `name`:`port` through the apiserver (kubectl proxy started on first use). */
export async function serviceUrl(name: string, port: number): Promise<string> {
  const base = proxy && proxy.child.exitCode === null ? proxy.base : await start();
  return `${base}/api/v1/namespaces/${namespace}/services/${name}:${port}/proxy`;
}

export function stopProxy(): void {
  if (proxy && proxy.child.exitCode === null) proxy.child.kill('SIGTERM');
  proxy = undefined;
}
