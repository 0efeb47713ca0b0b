// 7a. `helm upgrade` changing replicas (both services 2 -> 3, then back to 2) while requests, orders among them, go
// through the order-service Service: no request fails, pods added and removed included. Then, at the end of
// everything the suite did, the PostgreSQL invariants hold (1., "at the end").
import { afterAll, describe, expect, it } from 'vitest';
import { stillMissing } from '../stack/backends';
import { serviceUrl, stopProxy } from './api-proxy';
import { helm } from './kube';
import { closeForwards } from './port-forward';
import { brokenInvariants } from './postgres';
import { describeFailures, requestLoop } from './requests';
import { figure } from './run-state';
import { chartDir, nameOf, release } from './target';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  stopProxy();
  await closeForwards();
});

const upgrade = (replicas: number) =>
  helm(
    [
      'upgrade',
      release,
      chartDir,
      '--reuse-values',
      '--set',
      `orderService.replicas=${replicas}`,
      '--set',
      `inventoryService.replicas=${replicas}`,
      '--wait',
      '--timeout',
      '4m',
    ],
    { timeoutMs: 300_000 },
  );

describe('helm upgrade changing replicas', () => {
  it('fails no request while the services go from 2 to 3 replicas and back', async () => {
    const base = await serviceUrl(nameOf('order-service'), 8000);
    const stop = requestLoop(base, 2, 50, (n) =>
      n % 3 === 0
        ? { method: 'POST', path: '/order-product', body: { username: 'k8s-upgrade', product_id: 4, quantity: 1 } }
        : { method: 'GET', path: '/list-products' },
    );
    const t0 = Date.now();
    await sleep(2_000);
    await upgrade(3);
    await upgrade(2);
    await sleep(10_000); // the removed pods' last requests, and a few on the two left
    const answers = await stop();
    figure(
      `helm upgrade 2 -> 3 -> 2 replicas: ${answers.length} requests in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    expect(answers.length).toBeGreaterThan(100);
    expect(describeFailures(answers)).toEqual([]);
  }, 600_000);

  it('leaves the PostgreSQL invariants holding, over everything the suite did', async () => {
    expect(await stillMissing('the PostgreSQL invariants', brokenInvariants, 30_000)).toEqual([]);
  });
});
