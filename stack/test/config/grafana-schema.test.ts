// Every provisioned dashboard against Grafana's own published types (@grafana/schema at the pinned version, made
// into JSON schemas), and every panel's and query's datasource against the provisioned datasources.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  describeErrors,
  grafanaValidators,
  panelsWithoutPublishedOptions,
  type Validators,
} from '../helpers/dashboard-schema';
import { allPanels, dashboards, datasources, type Panel } from '../helpers/grafana';
import { dotenv } from '../helpers/env';

const all = dashboards();
const typeOf = new Map(datasources().map((d) => [d.uid as string, d.type as string]));
// The query types each datasource plugin defines (Loki: LokiQueryType of its dataquery.gen.ts; a Prometheus
// query has none, it says instant/range with booleans).
const queryTypes: Record<string, (string | undefined)[]> = {
  loki: ['range', 'instant', 'stream'],
  prometheus: [undefined],
};

let validators: Validators;
beforeAll(() => {
  validators = grafanaValidators();
}, 120_000);

const panels = () =>
  all.flatMap(({ file, dashboard }) =>
    allPanels(dashboard.panels).map((p) => ({
      where: `${file} / ${p.title}`,
      panel: p as Panel & Record<string, any>,
    })),
  );

describe('provisioned dashboards, by Grafana’s published types', () => {
  it('checks the types of the Grafana version .env pins', () => {
    expect(createRequire(__filename)('@grafana/schema/package.json').version).toBe(dotenv().GRAFANA_VERSION);
  });

  it('match the Dashboard type', () => {
    for (const { file, dashboard } of all) expect(describeErrors(validators.dashboard(dashboard)), file).toBe('');
  });

  it('give each panel options and field config its plugin’s types accept', () => {
    for (const { where, panel } of panels()) {
      if (panel.type === 'row') continue;
      const options = validators.panelOptions(panel.type, panel.options ?? {});
      if (options === undefined) {
        expect(
          panelsWithoutPublishedOptions,
          `${where}: ${panel.type} is no panel Grafana publishes types for`,
        ).toContain(panel.type);
        continue;
      }
      expect(describeErrors(options), `${where} options`).toBe('');
      const custom = validators.panelFieldConfig(panel.type, panel.fieldConfig?.defaults?.custom ?? {});
      if (custom) expect(describeErrors(custom), `${where} fieldConfig.defaults.custom`).toBe('');
    }
  });

  it('would catch an unknown option or a wrong type', () => {
    const errors = validators.panelOptions('timeseries', {
      legend: { showLegend: 'yes', placement: 'bottom', colour: 'red' },
    })!;
    expect(describeErrors(errors)).toMatch(
      /additionalProperty":"colour"[\s\S]*showLegend must be boolean|showLegend must be boolean[\s\S]*colour/,
    );
  });
});

describe('provisioned dashboards, by the provisioned datasources', () => {
  it('name a provisioned datasource of the right type on every panel and query, with a query type it has', () => {
    for (const { where, panel } of panels()) {
      if (panel.type === 'row' || panel.type === 'text' || panel.type === 'alertlist') continue;
      const ref = panel.datasource;
      expect(typeOf.get(ref?.uid ?? ''), `${where}: datasource ${JSON.stringify(ref)}`).toBe(ref?.type);
      for (const t of (panel.targets ?? []) as Record<string, any>[]) {
        const tref = t.datasource ?? ref;
        expect(typeOf.get(tref?.uid), `${where} / ${t.refId}`).toBe(tref?.type);
        expect(queryTypes[tref.type], `${where} / ${t.refId}: queryType ${t.queryType}`).toContain(t.queryType);
        // a time series of LogQL needs a range query: an instant one draws a single point
        if (tref.type === 'loki' && panel.type === 'timeseries') expect(t.queryType, where).toBe('range');
      }
    }
  });
});
