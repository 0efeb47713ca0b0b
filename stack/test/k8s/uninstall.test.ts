// 7b. `helm uninstall`: nothing of the release left in its namespace but the volumes (every namespaced kind the
// cluster lists is read); the PersistentVolumeClaims stay, as Helm leaves a StatefulSet's claims, with their data.
import { describe, expect, it } from 'vitest';
import { stillMissing } from '../stack/backends';
import { namespacedObjects } from './install';
import { helm, kubectlJson } from './kube';
import { figure } from './run-state';
import { namespace, release } from './target';

/** What Kubernetes itself puts in every namespace, and what outlives an uninstall on purpose. */
const expected = (o: string) =>
  o.startsWith('PersistentVolumeClaim/') ||
  o.startsWith('Event/') ||
  o === 'ServiceAccount/default' ||
  o === 'ConfigMap/kube-root-ca.crt';

describe('helm uninstall', () => {
  it('leaves nothing but the volumes', async () => {
    const claims = (await kubectlJson<{ items: any[] }>(['get', 'pvc'])).items.map((c) => c.metadata.name as string);
    await helm(['uninstall', release, '--wait', '--timeout', '3m'], { timeoutMs: 240_000 });
    const left = await stillMissing(
      'the namespace emptied of the release',
      async () => (await namespacedObjects()).filter((o) => !expected(o)),
      90_000,
    );
    expect(left).toEqual([]);
    const after = (await kubectlJson<{ items: any[] }>(['get', 'pvc'])).items.map((c) => c.metadata.name as string);
    expect(after.sort()).toEqual(claims.sort());
    // the volumes of these very claims (a claim's uid, not its name: an earlier run's claims had the same names)
    const uids = new Set(
      (await kubectlJson<{ items: any[] }>(['get', 'pvc'])).items.map((c) => c.metadata.uid as string),
    );
    const volumes = (await kubectlJson<{ items: any[] }>(['get', 'pv'], { namespaced: false })).items.filter(
      (v) => v.spec?.claimRef?.namespace === namespace && uids.has(v.spec.claimRef.uid),
    );
    figure(`after helm uninstall: ${after.length} claims and ${volumes.length} volumes kept, nothing else`);
  }, 300_000);
});
