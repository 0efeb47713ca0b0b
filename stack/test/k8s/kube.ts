// kubectl and helm as child processes (execFile: no shell), against the cluster KUBECONFIG names. The only tools the
// suite needs on the machine; `preflight()` says plainly what is missing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { chartDir, namespace } from './target';

export interface RunOptions {
  timeoutMs?: number;
  /** Namespaced to the suite's namespace (`-n`) unless false. */
  namespaced?: boolean;
}

function run(tool: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : stderr.trim() || err.message;
        reject(new Error(`${tool} ${args.join(' ')}: ${why}`, { cause: err }));
      },
    );
  });
}

export const kubectl = (args: string[], { timeoutMs = 60_000, namespaced = true }: RunOptions = {}) =>
  run('kubectl', namespaced ? ['-n', namespace, ...args] : args, timeoutMs);

export const kubectlJson = async <T = any>(args: string[], options?: RunOptions): Promise<T> =>
  JSON.parse(await kubectl([...args, '-o', 'json'], options)) as T;

export const helm = (args: string[], { timeoutMs = 300_000, namespaced = true }: RunOptions = {}) =>
  run('helm', namespaced ? ['--namespace', namespace, ...args] : args, timeoutMs);

/** Why the suite cannot run here (tools, kubeconfig, cluster, chart), or undefined. Nothing is installed. */
export async function preflight(): Promise<string | undefined> {
  for (const [tool, args] of [
    ['kubectl', ['version', '--client']],
    ['helm', ['version', '--short']],
  ] as const) {
    try {
      await run(tool, [...args], 15_000);
    } catch {
      return `${tool} is not on PATH (or does not run): install it, or put the one you use first on PATH.`;
    }
  }
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig && !existsSync(join(homedir(), '.kube', 'config')))
    return 'no cluster: KUBECONFIG is not set and ~/.kube/config does not exist. Point KUBECONFIG at your cluster.';
  try {
    await kubectl(['get', '--raw=/readyz', '--request-timeout=10s'], { namespaced: false, timeoutMs: 20_000 });
  } catch (err) {
    return `the cluster of ${kubeconfig ?? '~/.kube/config'} does not answer: ${(err as Error).message.split('\n')[0]}`;
  }
  if (!existsSync(join(chartDir, 'Chart.yaml'))) return `no chart at ${chartDir}`;
  return undefined;
}
