// The release's pods: who is Ready, waiting for all of them (with a diagnosis of those that are not), killing one.
import { kubectl, kubectlJson } from './kube';
import { type Component, release, selectorOf } from './target';

export interface Pod {
  name: string;
  component: string;
  phase: string;
  ready: boolean;
  deleting: boolean;
  restarts: number;
  node: string;
  ip: string;
  created: number;
}

const toPod = (p: any): Pod => ({
  name: p.metadata.name,
  component: p.metadata.labels?.['app.kubernetes.io/name'] ?? '',
  phase: p.status?.phase ?? '',
  ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
  deleting: Boolean(p.metadata.deletionTimestamp),
  restarts: (p.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0),
  node: p.spec?.nodeName ?? '',
  ip: p.status?.podIP ?? '',
  created: Date.parse(p.metadata.creationTimestamp),
});

/** The release's pods, or one component's: those of its Deployments and StatefulSets (a Job's pods, the index
 * cleaner's, run to completion and are never Ready). */
export async function pods(component?: Component): Promise<Pod[]> {
  const selector = component ? selectorOf(component) : `app.kubernetes.io/instance=${release}`;
  const list = await kubectlJson<{ items: any[] }>(['get', 'pods', '-l', selector]);
  return list.items.filter((p) => !(p.metadata.ownerReferences ?? []).some((o: any) => o.kind === 'Job')).map(toPod);
}

/** A component's Ready pods that are not being deleted, oldest first. */
export const readyPods = async (component: Component) =>
  (await pods(component)).filter((p) => p.ready && !p.deleting).sort((a, b) => a.created - b.created);

/** `kubectl describe` and the last log lines (of the previous container too, after a restart) of each pod. */
export async function diagnose(names: string[]): Promise<string> {
  const out: string[] = [];
  for (const name of names) {
    const describe = await kubectl(['describe', 'pod', name]).catch((e: Error) => e.message);
    const logs = await kubectl(['logs', name, '--all-containers', '--tail=40']).catch((e: Error) => e.message);
    const previous = await kubectl(['logs', name, '--all-containers', '--tail=40', '--previous']).catch(() => '');
    out.push(`=== ${name}: describe (last 40 lines)`, describe.split('\n').slice(-40).join('\n'));
    out.push(`=== ${name}: logs`, logs.trim());
    if (previous.trim()) out.push(`=== ${name}: logs of the previous container`, previous.trim());
  }
  return out.join('\n');
}

/** Polls until every workload of the release has its replicas and every pod is Ready; throws with a diagnosis. */
export async function waitAllReady(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let notReady: Pod[] = [];
  let short: string[] = [];
  while (Date.now() < deadline) {
    const workloads = await kubectlJson<{ items: any[] }>([
      'get',
      'deployments,statefulsets',
      '-l',
      `app.kubernetes.io/instance=${release}`,
    ]);
    short = workloads.items
      .filter((w) => (w.status?.readyReplicas ?? 0) < (w.spec?.replicas ?? 1))
      .map((w) => `${w.kind}/${w.metadata.name} ${w.status?.readyReplicas ?? 0}/${w.spec?.replicas ?? 1}`);
    if (workloads.items.length === 0)
      short = [`no Deployment or StatefulSet labelled app.kubernetes.io/instance=${release}`];
    notReady = (await pods()).filter((p) => !p.ready || p.deleting);
    if (short.length === 0 && notReady.length === 0) return;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  throw new Error(
    `not Ready within ${timeoutMs / 1000} s: ${[...short, ...notReady.map((p) => `pod/${p.name} (${p.phase})`)].join(
      ', ',
    )}\n${await diagnose(notReady.map((p) => p.name))}`,
  );
}

/** Kills a pod: deleted at once, no grace (its containers get no time to flush); its controller makes another. */
export async function killPod(name: string): Promise<number> {
  const at = Date.now();
  await kubectl(['delete', 'pod', name, '--grace-period=0', '--force', '--wait=false']);
  return at;
}

/** Waits until `component` has `replicas` Ready pods (none being deleted); returns their names. */
export async function waitReplicas(component: Component, replicas: number, timeoutMs = 180_000): Promise<Pod[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await readyPods(component);
    const all = await pods(component);
    if (ready.length === replicas && all.length === replicas) return ready;
    if (Date.now() > deadline) {
      const names = all.filter((p) => !p.ready).map((p) => p.name);
      throw new Error(
        `${component}: ${ready.length}/${replicas} Ready after ${timeoutMs / 1000} s\n${await diagnose(names)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
