// The lane's one installation: checks what it needs (kubectl, helm, a cluster that answers, the chart), installs the
// chart with the test values in a namespace of its own, waits until every pod is Ready (bounded; a diagnosis of
// those that are not), hands the run's folder to the test files, and at the end removes whatever is left (the
// uninstall is itself a test) and prints the lane's figures. OSTACK_K8S_KEEP=1 keeps the release for a look.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { memoryLine, podMemory } from './figures';
import { deleteNamespace, install, namespaceOwner, releaseInstalled } from './install';
import { helm, preflight } from './kube';
import { waitAllReady } from './pods';
import { namespace, release, valuesFiles } from './target';

const readyTimeoutMs = Number(process.env.OSTACK_K8S_READY_TIMEOUT_S || 480) * 1000;

async function cleanUp(): Promise<void> {
  if (process.env.OSTACK_K8S_KEEP === '1') {
    console.log(`OSTACK_K8S_KEEP=1: release ${release} left in namespace ${namespace}`);
    return;
  }
  if ((await namespaceOwner()) !== 'ours') return;
  if (await releaseInstalled()) await helm(['uninstall', release, '--wait', '--timeout', '3m']).catch(() => undefined);
  await deleteNamespace();
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const missing = await preflight();
  if (missing)
    throw new Error(
      `npm run test:k8s: ${missing}\nIt installs nothing and needs only kubectl, helm and KUBECONFIG (stack/README.md).`,
    );
  const runDir = mkdtempSync(join(tmpdir(), 'ostack-k8s-'));
  project.provide('k8sRunDir', runDir);
  project.provide('k8sStartedAt', started);
  const figures: string[] = [];
  try {
    console.log(`installing ${release} in namespace ${namespace} with ${valuesFiles.join(', ')}`);
    await install();
    const installed = Date.now();
    await waitAllReady(readyTimeoutMs);
    figures.push(
      `install ${((installed - started) / 1000).toFixed(0)} s, all pods Ready ${((Date.now() - started) / 1000).toFixed(0)} s after the start`,
    );
    figures.push(memoryLine('idle, just Ready', await podMemory().catch(() => new Map<string, number>())));
  } catch (err) {
    await cleanUp().catch((e: Error) => console.error(`cleanup failed: ${e.message}`));
    throw err;
  }

  return async () => {
    await cleanUp().catch((e: Error) => console.error(`cleanup failed: ${e.message}`));
    let later = '';
    try {
      later = readFileSync(join(runDir, 'figures.txt'), 'utf8');
    } catch {
      // no file wrote a figure
    }
    rmSync(runDir, { recursive: true, force: true });
    console.log(
      [
        '',
        'k8s lane figures:',
        ...figures,
        later.trim(),
        `lane ${((Date.now() - started) / 1000).toFixed(0)} s (install to namespace gone)`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  };
}
