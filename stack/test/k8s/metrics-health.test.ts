// After the pod kills and the scaling (the "metrics through two tiers stay right"): no alert of ours fired
// over that window, and no counter of the services went backwards. Every tier-1 pod exports its series with its
// own collector_instance_id, so a service whose OTLP connection moved to another pod starts new series instead of
// colliding with the old pod's last values (false resets, burn-rate alerts on nothing).
import { afterAll, describe, expect, inject, it } from 'vitest';
import { promQuery } from '../stack/backends';
import { listFiles, readYaml } from '../helpers/repo';
import { closeForwards, forwardTo } from './port-forward';
import { figure, recall } from './run-state';
import { nameOf } from './target';

/** The alerts of our rules (config_volumes/prometheus/rules, of which the chart's are generated copies). */
const ourAlerts = new Set(
  listFiles('config_volumes/prometheus/rules', '.yml').flatMap((f) =>
    (
      readYaml<{ groups: { rules: { alert?: string }[] }[] }>('config_volumes/prometheus/rules', f).groups ?? []
    ).flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))),
  ),
);
const since = () => recall<number>('killsStartedAt') ?? inject('k8sStartedAt');
const range = () => `${Math.ceil((Date.now() - since()) / 1000) + 30}s`;

afterAll(closeForwards);

describe('metrics after the kills and the scaling', () => {
  it('no alert of our rules fired', async () => {
    expect(ourAlerts.size).toBeGreaterThan(3);
    const prometheus = await forwardTo(`svc/${nameOf('prometheus')}`, 9090);
    const body = (await (await fetch(`${prometheus}/api/v1/alerts`)).json()) as {
      data: { alerts: { state: string; labels: Record<string, string> }[] };
    };
    const ours = body.data.alerts.filter((a) => ourAlerts.has(a.labels.alertname!));
    const pending = ours.filter((a) => a.state === 'pending').map((a) => JSON.stringify(a.labels));
    if (pending.length) figure(`alerts pending (not firing) after the kills: ${pending.join(', ')}`);
    expect(ours.filter((a) => a.state === 'firing').map((a) => JSON.stringify(a.labels))).toEqual([]);
    // and none fired at any time since the first kill (ALERTS, as Prometheus recorded it)
    const fired = await promQuery(prometheus, `max_over_time(ALERTS{alertstate="firing"}[${range()}])`);
    expect(fired.filter((s) => ourAlerts.has(s.metric.alertname!)).map((s) => JSON.stringify(s.metric))).toEqual([]);
  });

  it('no counter of the services went backwards: resets() is 0 for every series', async () => {
    const prometheus = await forwardTo(`svc/${nameOf('prometheus')}`, 9090);
    // Counters and histograms by their type in Prometheus's metadata (an UpDownCounter may be named *_count too);
    // the metadata names counters without _total and histograms without their suffixes.
    const metadata = (
      (await (await fetch(`${prometheus}/api/v1/metadata`)).json()) as { data: Record<string, { type: string }[]> }
    ).data;
    const monotonic = new Set(
      Object.entries(metadata).flatMap(([name, m]) => {
        if (m.some((x) => x.type === 'counter')) return [name, `${name}_total`];
        if (m.some((x) => x.type === 'histogram')) return [`${name}_count`, `${name}_bucket`];
        return [];
      }),
    );
    const names = (await promQuery(prometheus, 'count by (__name__) ({service_name=~".+"})'))
      .map((s) => s.metric.__name__!)
      .filter((n) => monotonic.has(n));
    expect(names.length, 'counters of the services').toBeGreaterThan(3);
    // one name at a time: resets() drops the name, and two counters' series with the same labels would collide
    const reset: string[] = [];
    let series = 0;
    for (const name of names) {
      const selector = `${name}{service_name=~".+"}[${range()}]`;
      series += Number((await promQuery(prometheus, `count(resets(${selector}))`))[0]?.value[1] ?? 0);
      for (const s of await promQuery(prometheus, `resets(${selector}) > 0`))
        reset.push(`${name}${JSON.stringify(s.metric)}: ${s.value[1]}`);
    }
    figure(`counters checked for resets since the first kill: ${names.length} names, ${series} series`);
    expect(reset).toEqual([]);
  });
});
