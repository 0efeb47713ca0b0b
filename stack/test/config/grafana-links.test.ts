// The four links between the signals, built as Grafana 13.2 builds them (helpers/grafana-links.ts) from a trace,
// log records and an exemplar recorded from the real services, Collector, Jaeger and Prometheus (fixtures/), then
// held to what the backends accept: LogQL by Grafana's grammar and loki.yaml's index labels, PromQL by promtool.
import { readFileSync } from 'node:fs';
import { sanitizeUrl } from '@braintree/sanitize-url';
import { describe, expect, it } from 'vitest';
import { datasources } from '../helpers/grafana';
import {
  type DerivedField,
  derivedFieldLink,
  type ExemplarTraceIdDestination,
  exemplarLinks,
  exploreState,
  type JaegerApiTrace,
  logsLinkTitle,
  spanDetailLinks,
  spanTags,
  type TraceSpan,
  traceAsGrafanaSeesIt,
  type TraceToLogsOptions,
  type TraceToMetricsOptions,
  traceToLogsLink,
  traceToMetricsLinks,
} from '../helpers/grafana-links';
import { asStoredInLoki, indexLabelNames, type OtlpLogsRequest } from '../helpers/loki-otlp';
import { logqlErrors, pipelineStages, plainLabelFilter, select, selectorMatchers } from '../helpers/logql';
import { checkExpressions, needsPromtool } from '../helpers/promtool';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(`${__dirname}/../fixtures/${name}`, 'utf8')) as T;
const trace = traceAsGrafanaSeesIt(fixture<{ data: JaegerApiTrace[] }>('jaeger-trace.json').data[0]!);
const stored = asStoredInLoki(fixture<OtlpLogsRequest>('otlp-logs.json'));
const exemplar = fixture<{ data: { exemplars: { labels: Record<string, string> }[] }[] }>('prometheus-exemplars.json')
  .data[0]!.exemplars[0]!;

const ds = datasources();
const byUid = (uid: string) => ds.find((d) => d.uid === uid);
const jaeger = ds.find((d) => d.type === 'jaeger')!.jsonData;
const toLogs = jaeger.tracesToLogsV2 as TraceToLogsOptions;
const toMetrics = jaeger.tracesToMetrics as TraceToMetricsOptions;
const processTag = (span: TraceSpan, key: string) => span.process.tags.find((t) => t.key === key)?.value;

describe('the recorded trace, as Grafana sees it', () => {
  it('holds both services, and no span carries service.name (Jaeger keeps it as the process name)', () => {
    expect(new Set(trace.spans.map((s) => s.process.serviceName))).toEqual(
      new Set(['order-service', 'inventory-service']),
    );
    for (const span of trace.spans) {
      expect(spanTags(span).map((t) => t.key)).not.toContain('service.name');
      expect(processTag(span, 'service.instance.id'), span.operationName).toBeTruthy();
    }
  });
});

describe('span -> logs', () => {
  const links = trace.spans.map((span) => ({ span, link: traceToLogsLink(trace, span, toLogs) }));

  it('is offered on every span, for the Loki datasource, around the span', () => {
    for (const { span, link } of links) {
      expect(link, `${span.operationName}: Grafana shows no logs link`).toBeDefined();
      expect(byUid(link!.datasourceUid)?.type).toBe('loki');
      expect(link!.range.from).toBeLessThan(span.startTime / 1000);
      expect(link!.range.to).toBeGreaterThan((span.startTime + span.duration) / 1000);
    }
  });

  it('parses with Grafana’s LogQL grammar and selects by labels loki.yaml indexes, only', () => {
    const indexed = indexLabelNames();
    for (const { link } of links) {
      expect(logqlErrors(link!.expr), link!.expr).toBe(0);
      const matchers = selectorMatchers(link!.expr);
      expect(matchers.length).toBeGreaterThan(0);
      for (const m of matchers) expect(indexed, link!.expr).toContain(m.label);
    }
  });

  it('filters the trace id as structured metadata (a label filter after the selector), not as text of the line', () => {
    for (const { span, link } of links) {
      const stages = pipelineStages(link!.expr);
      expect(
        stages.filter((s) => s.kind === 'LineFilters'),
        link!.expr,
      ).toEqual([]);
      const filters = stages.map((s) => plainLabelFilter(s, link!.expr));
      expect(filters, link!.expr).toContainEqual({ label: 'trace_id', op: '=', value: span.traceID });
    }
  });

  it('selects the trace’s log records of both services, as Loki stores them', () => {
    const recorded = stored.filter((l) => l.structuredMetadata.trace_id === trace.traceID);
    expect(new Set(recorded.map((l) => l.index.service_name))).toEqual(new Set(['order-service', 'inventory-service']));
    for (const { link } of links) expect(select(link!.expr, stored)).toEqual(recorded);
  });
});

describe('span -> metrics', () => {
  const links = trace.spans.flatMap((span) =>
    traceToMetricsLinks(trace, span, toMetrics).map((link) => ({ span, link })),
  );
  // The same span without its process tags: what a link becomes when no tag maps.
  const bare = { ...trace.spans[0]!, process: { ...trace.spans[0]!.process, tags: [] } };

  it('offers each query on every span, with no variable left and the span’s service filter', () => {
    expect(links.length).toBe(trace.spans.length * toMetrics.queries.length);
    for (const { span, link } of links) {
      expect(byUid(link.datasourceUid)?.type).toBe('prometheus');
      expect(link.expr, link.name).not.toContain('$');
      expect(link.expr, `${link.name}: no service filter`).toContain(
        `service_instance_id="${String(processTag(span, 'service.instance.id'))}"`,
      );
    }
  });

  it('stays PromQL when no tag maps (no selector opens with a comma)', () => {
    for (const link of traceToMetricsLinks(trace, bare, toMetrics))
      expect(link.expr, link.name).not.toMatch(/\{\s*,|,\s*,/);
  });

  it.runIf(needsPromtool)('parses with promtool, for every span and with no tag mapped', () => {
    const exprs = [...links.map((l) => l.link.expr), ...traceToMetricsLinks(trace, bare, toMetrics).map((l) => l.expr)];
    const { ok, output } = checkExpressions(exprs);
    expect(ok, output).toBe(true);
  });
});

describe('span details (what a user clicks)', () => {
  it('show the logs link as a button, first, then each metrics query as a button, on every span', () => {
    for (const span of trace.spans) {
      const shown = spanDetailLinks(traceToLogsLink(trace, span, toLogs), traceToMetricsLinks(trace, span, toMetrics));
      // four or more links fold into one "Links" menu: the logs link would be two clicks away
      expect(shown, span.operationName).toEqual({
        kind: 'buttons',
        titles: [logsLinkTitle, ...toMetrics.queries.map((q) => q.name)],
      });
    }
  });

  it('name each metrics button after what it shows, unique and with its source', () => {
    const names = toMetrics.queries.map((q) => q.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^\S.*\(span metrics\)$/);
  });
});

describe('log line -> trace', () => {
  const fields = byUid('loki').jsonData.derivedFields as DerivedField[];

  it('takes the trace id from the trace_id structured metadata of every recorded line and queries it in Jaeger', () => {
    expect(stored.length).toBeGreaterThan(0);
    for (const line of stored) {
      const labels = { ...line.index, ...line.structuredMetadata };
      const [field] = fields;
      expect(Object.keys(labels).filter((k) => new RegExp(field!.matcherRegex).test(k))).toEqual(['trace_id']);
      const link = derivedFieldLink(labels, field!);
      expect(link).toEqual({ datasourceUid: expect.any(String), query: line.structuredMetadata.trace_id });
      expect(byUid(link!.datasourceUid!)?.type).toBe('jaeger');
    }
  });
});

describe('exemplar -> trace', () => {
  const destinations = byUid('prometheus').jsonData.exemplarTraceIdDestinations as ExemplarTraceIdDestination[];
  const links = exemplarLinks(exemplar.labels, destinations);

  it('opens Explore on a Jaeger trace-id query of the exemplar’s trace id', () => {
    const urls = links.flatMap((l) => (l.kind === 'url' ? [l.href] : []));
    expect(urls.length).toBeGreaterThan(0);
    for (const raw of urls) {
      const href = sanitizeUrl(raw); // what Grafana does to a link before showing it
      expect(href.startsWith('/explore?'), href).toBe(true);
      const [pane, ...more] = exploreState(href);
      expect(more).toEqual([]);
      expect(byUid(pane!.datasource)?.type).toBe('jaeger');
      // no queryType: the Jaeger plugin runs a trace-id query only then
      expect(pane!.queries).toEqual([expect.objectContaining({ query: exemplar.labels.trace_id })]);
      expect(pane!.queries[0]).not.toHaveProperty('queryType');
    }
  });

  it('offers no internal link to Jaeger (its queryType "traceql" finds nothing there)', () => {
    const internal = links.filter((l) => l.kind === 'internal' && byUid(l.datasourceUid)?.type === 'jaeger');
    expect(internal).toEqual([]);
  });
});
