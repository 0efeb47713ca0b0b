// Installing and removing the release in the suite's own namespace (labelled as the suite's: a namespace without the
// label is never touched), and what a namespace still holds.
import { helm, kubectl, kubectlJson } from './kube';
import { chartDir, namespace, OWNER_LABEL, release, SHARE, SLOW_MS, valuesFiles } from './target';

export async function namespaceOwner(): Promise<'ours' | 'theirs' | 'none'> {
  try {
    const ns = await kubectlJson(['get', 'namespace', namespace], { namespaced: false });
    return ns.metadata.labels?.[OWNER_LABEL] === 'true' ? 'ours' : 'theirs';
  } catch (err) {
    if (/NotFound|not found/.test((err as Error).message)) return 'none';
    throw err;
  }
}

/** Whether the release exists in any state (a failed or pending install too): `helm status` knows it. */
export async function releaseInstalled(): Promise<boolean> {
  try {
    await helm(['status', release, '-o', 'json']);
    return true;
  } catch (err) {
    if (/release: not found/.test((err as Error).message)) return false;
    throw err;
  }
}

export async function deleteNamespace(timeoutS = 240): Promise<void> {
  await kubectl(['delete', 'namespace', namespace, '--wait=true', `--timeout=${timeoutS}s`], {
    namespaced: false,
    timeoutMs: (timeoutS + 30) * 1000,
  });
}

/** A fresh namespace of the suite's (what an interrupted run left is removed first), and the chart in it. */
export async function install(): Promise<void> {
  const owner = await namespaceOwner();
  if (owner === 'theirs')
    throw new Error(
      `namespace ${namespace} exists and is not this suite's (no label ${OWNER_LABEL}=true): ` +
        'set OSTACK_K8S_NAMESPACE to a namespace the suite may create and delete',
    );
  if (owner === 'ours') {
    console.log(`removing what an earlier run left in namespace ${namespace}`);
    if (await releaseInstalled()) await helm(['uninstall', release, '--wait', '--timeout', '3m']);
    await deleteNamespace();
  }
  await kubectl(['create', 'namespace', namespace], { namespaced: false });
  await kubectl(['label', 'namespace', namespace, `${OWNER_LABEL}=true`], { namespaced: false });
  await helm(
    [
      'install',
      release,
      chartDir,
      ...valuesFiles.flatMap((f) => ['--values', f]),
      '--set',
      `sampling.percent=${SHARE}`,
      '--set',
      `sampling.slowMs=${SLOW_MS}`,
      '--timeout',
      '10m',
    ],
    { timeoutMs: 660_000 },
  );
}

/** Every namespaced kind the cluster lists, and the objects of them in the namespace (`kind/name`). */
export async function namespacedObjects(): Promise<string[]> {
  const kinds = (
    await kubectl(['api-resources', '--namespaced=true', '--verbs=list', '-o', 'name'], { namespaced: false })
  )
    .split('\n')
    .map((k) => k.trim())
    .filter(Boolean);
  const out: string[] = [];
  // One call for all kinds; kinds this user may not list (a user's RBAC) are read one by one, skipped saying why.
  try {
    const list = await kubectlJson<{ items: any[] }>(['get', kinds.join(',')], { timeoutMs: 120_000 });
    for (const o of list.items) out.push(`${o.kind}/${o.metadata.name}`);
  } catch {
    for (const kind of kinds) {
      try {
        const list = await kubectlJson<{ items: any[] }>(['get', kind]);
        for (const o of list.items) out.push(`${o.kind}/${o.metadata.name}`);
      } catch (err) {
        out.push(`${kind}: cannot list (${(err as Error).message.split('\n')[0]})`);
      }
    }
  }
  return out.sort();
}
