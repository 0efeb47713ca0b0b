// Grafana 13.2's links between the signals, rebuilt from its source so a test can build the very query a click
// opens, from a real span, log record or exemplar. Each function names the Grafana file it follows (read in the
// grafana/grafana and grafana/grafana-jaeger-datasource repositories; no code of theirs is copied).
import property from 'lodash/property.js';

// ---- spans, as Grafana's Jaeger datasource hands them to the trace view ----

export interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}
/** One trace of Jaeger's `/api/traces/<id>` (what Grafana's Jaeger backend reads, feature toggle off). */
export interface JaegerApiTrace {
  traceID: string;
  spans: {
    traceID: string;
    spanID: string;
    operationName: string;
    references?: { refType: string; traceID: string; spanID: string }[];
    startTime: number; // µs
    duration: number; // µs
    tags?: JaegerKeyValue[];
    processID: string;
  }[];
  processes: Record<string, { serviceName: string; tags?: JaegerKeyValue[] }>;
}

/** A span in the trace view (TraceSpan of TraceView/components/types/trace.ts). */
export interface TraceSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  startTime: number; // µs
  duration: number; // µs
  tags: JaegerKeyValue[];
  process: { serviceName: string; tags: JaegerKeyValue[] };
  parentSpanID?: string;
}
export interface Trace {
  traceID: string;
  traceName: string;
  startTime: number;
  duration: number;
  spans: TraceSpan[];
}

const byKey = (a: JaegerKeyValue, b: JaegerKeyValue) => (a.key > b.key ? 1 : a.key < b.key ? -1 : 0);

/**
 * The trace as the trace view holds it: the plugin's backend (pkg/jaeger/utils/client_utils.go,
 * TransformTraceResponse) makes one row per span with serviceName and serviceTags = the Jaeger process's
 * serviceName and tags, times in ms; the frontend (TraceView/utils/transform.ts, then
 * components/model/transform-trace-data.tsx) turns rows back into spans (µs), sorts tags, lowercases the trace id.
 * Jaeger keeps service.name as the process's serviceName, so no tag of a span carries it.
 */
export function traceAsGrafanaSeesIt(api: JaegerApiTrace): Trace {
  const spans: TraceSpan[] = api.spans
    .map((s) => {
      const process = api.processes[s.processID];
      const parent = s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID;
      return {
        traceID: s.traceID,
        spanID: s.spanID,
        operationName: s.operationName,
        startTime: (s.startTime / 1000) * 1000,
        duration: (s.duration / 1000) * 1000,
        tags: [...(s.tags ?? [])].sort(byKey),
        process: { serviceName: process?.serviceName ?? '', tags: [...(process?.tags ?? [])].sort(byKey) },
        ...(parent ? { parentSpanID: parent } : {}),
      };
    })
    .filter((s) => Boolean(s.startTime));
  const start = Math.min(...spans.map((s) => s.startTime));
  const end = Math.max(...spans.map((s) => s.startTime + s.duration));
  const ids = new Set(spans.map((s) => s.spanID));
  const root = spans
    .filter((s) => !s.parentSpanID || !ids.has(s.parentSpanID))
    .sort((a, b) => a.startTime - b.startTime)[0];
  return {
    traceID: api.traceID.toLowerCase(),
    traceName: root ? `${root.process.serviceName}: ${root.operationName}` : '',
    startTime: start,
    duration: end - start,
    spans,
  };
}

// ---- template interpolation (features/templating/template_srv.ts, with only scoped variables) ----

export type ScopedVars = Record<string, { text?: string; value: unknown }>;
export interface Interpolation {
  match: string;
  variableName: string;
  fieldPath?: string;
  found: boolean;
}

// features/variables/utils.ts: $var, [[var:fmt]], ${var.field.path:fmt}
const variableRegex = /\$(\w+)|\[\[([\s\S]+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

/** The glob format of a value (the default when a link gives none); objects become `${value}`. */
function formatGlob(value: unknown): string {
  if (Array.isArray(value)) return value.length > 1 ? `{${value.join(',')}}` : String(value[0] ?? '');
  return String(value);
}

/** The URI-encode format of link hrefs (trace ids, being hex, pass unchanged). */
const formatUriEncode = (value: unknown) => encodeURI(formatGlob(value));

/**
 * TemplateSrv.replace for an Explore link: a scoped variable's value (lodash `property` for a field path);
 * anything else is left as written, and recorded as not found (getVariableUsageInfo then hides a logs link).
 */
export function replaceVariables(
  target: string,
  scopedVars: ScopedVars,
  interpolations?: Interpolation[],
  format: 'glob' | 'uriencode' = 'glob',
): string {
  return target.replace(variableRegex, (match, var1, var2, _fmt2, var3, fieldPath: string | undefined) => {
    const variableName: string = var1 || var2 || var3;
    const scoped = scopedVars[variableName];
    const value = scoped ? (fieldPath ? property(fieldPath)(scoped.value) : scoped.value) : undefined;
    const replaced =
      value === null || value === undefined ? match : format === 'glob' ? formatGlob(value) : formatUriEncode(value);
    interpolations?.push({ match, variableName, fieldPath, found: replaced !== match });
    return replaced;
  });
}

/** explore/utils/links.ts getVariableUsageInfo: false when a variable would stay uninterpolated. */
export function allVariablesDefined(text: string, scopedVars: ScopedVars): boolean {
  const seen: Interpolation[] = [];
  replaceVariables(text, scopedVars, seen);
  const builtIn = [
    '__from',
    '__to',
    '__interval',
    '__interval_ms',
    '__org',
    '__user',
    '__range',
    '__rate_interval',
    '__timeFilter',
    'timeFilter',
  ];
  return seen.filter((v) => !builtIn.includes(v.variableName)).every((v) => v.found);
}

// createTraceLink.ts scopedVarsFromTrace, createSpanLink.tsx scopedVarsFromSpan
export const scopedVarsFromTrace = (trace: Trace): ScopedVars => ({
  __trace: { text: 'Trace', value: { duration: trace.duration, name: trace.traceName, traceId: trace.traceID } },
});
export function scopedVarsFromSpan(span: TraceSpan): ScopedVars {
  const tags: Record<string, unknown> = {};
  for (const tag of [...span.process.tags, ...span.tags]) tags[tag.key] = tag.value;
  return {
    __span: {
      text: 'Span',
      value: { spanId: span.spanID, traceId: span.traceID, duration: span.duration, name: span.operationName, tags },
    },
  };
}

// ---- tags ($__tags), crossSignalConfig.ts ----

export interface TagMapping {
  key: string;
  value?: string;
}
const toLokiLabelName = (name: string) => name.replace(/\./g, '_');
const defaultCrossSignalTags: TagMapping[] = [
  'cluster',
  'hostname',
  'namespace',
  'pod',
  'service.name',
  'service.namespace',
].map((key) => ({ key, value: key.includes('.') ? toLokiLabelName(key) : undefined }));

/** The span's own tags, its process's, and four of its fields under fixed keys (getSpanTags). */
export const spanTags = (span: TraceSpan): JaegerKeyValue[] => [
  ...span.process.tags,
  ...span.tags,
  { key: 'spanId', value: span.spanID },
  { key: 'traceId', value: span.traceID },
  { key: 'name', value: span.operationName },
  { key: 'duration', value: span.duration },
];

/** `label="value"` for every tag of the span that a mapping names (getFilteredTags). */
export function filteredTags(span: TraceSpan, mappings: TagMapping[], normalize?: (name: string) => string): string[] {
  return spanTags(span).flatMap((tag) => {
    const mapping = mappings.find((m) => m.key === tag.key);
    if (!mapping) return [];
    const label = mapping.value ? mapping.value : mapping.key;
    return [`${normalize ? normalize(label) : label}="${String(tag.value)}"`];
  });
}

// ---- time ranges (createTraceLink.ts getTimeRangeFromTimestamps, @grafana/data rangeUtil.intervalToMs) ----

const units: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, M: 2592e6, y: 31536e6 };
export function intervalToMs(interval: string): number {
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d|w|M|y)$/.exec(interval.trim());
  if (!m) throw new Error(`not an interval: ${interval}`);
  return Number(m[1]) * units[m[2]!]!;
}
export interface TimeRange {
  from: number; // ms since the epoch
  to: number;
}
export function spanTimeRange(span: TraceSpan, startShift?: string, endShift?: string, defaultShiftMs = 0): TimeRange {
  const from = Math.floor(span.startTime / 1000 + (startShift ? intervalToMs(startShift) : -defaultShiftMs));
  let to = Math.floor((span.startTime + span.duration) / 1000 + (endShift ? intervalToMs(endShift) : defaultShiftMs));
  if (from >= to) to = from + 1;
  return { from, to };
}

// ---- the links ----

export interface TraceToLogsOptions {
  datasourceUid: string;
  tags?: TagMapping[];
  filterByTraceID?: boolean;
  filterBySpanID?: boolean;
  customQuery?: boolean;
  query?: string;
  spanStartTimeShift?: string;
  spanEndTimeShift?: string;
}
export interface TraceToMetricsOptions {
  datasourceUid: string;
  tags?: TagMapping[];
  queries: { name: string; query?: string }[];
  spanStartTimeShift?: string;
  spanEndTimeShift?: string;
}
export interface ExploreQuery {
  datasourceUid: string;
  expr: string;
  range: TimeRange;
}

/**
 * "Logs for this span" to a Loki datasource (createSpanLink.tsx legacyCreateSpanLinkFactory with
 * components/logsLink.ts getTraceToLogsSpanQuery, dynamic trace-to-logs feature flag off): a custom query as
 * written; else `{<mapped tags>}` with the trace id and span id filters, and no link at all when no tag maps.
 * Either way no link when a variable would stay uninterpolated.
 */
export function traceToLogsLink(trace: Trace, span: TraceSpan, options: TraceToLogsOptions): ExploreQuery | undefined {
  const mappings = options.tags?.length ? options.tags : defaultCrossSignalTags;
  const tags = filteredTags(span, mappings, toLokiLabelName);
  let expr: string;
  if (options.customQuery && options.query) {
    expr = options.query;
  } else {
    if (!tags.length) return undefined;
    expr = '{${__tags}}';
    if (options.filterByTraceID) {
      expr +=
        ' | label_format log_line_contains_trace_id=`{{ contains "${__span.traceId}" __line__  }}`' +
        ' | log_line_contains_trace_id="true" or trace_id="${__span.traceId}"';
    }
    if (options.filterBySpanID) {
      expr +=
        ' | label_format log_line_contains_span_id=`{{ contains "${__span.spanId}" __line__  }}`' +
        ' | log_line_contains_span_id="true" or span_id="${__span.spanId}"';
    }
  }
  const scopedVars = {
    ...scopedVarsFromTrace(trace),
    ...scopedVarsFromSpan(span),
    __tags: { text: 'Tags', value: tags.join(', ') },
  };
  if (!allVariablesDefined(expr, scopedVars)) return undefined;
  return {
    datasourceUid: options.datasourceUid,
    expr: replaceVariables(expr, scopedVars),
    range: spanTimeRange(span, options.spanStartTimeShift, options.spanEndTimeShift),
  };
}

/**
 * One "Metrics" link per configured query (createSpanLink.tsx): `$__tags` becomes the mapped tags joined by
 * ", " (not normalized, and empty when none maps); no check that variables exist, so an unknown one stays as text.
 */
export function traceToMetricsLinks(
  trace: Trace,
  span: TraceSpan,
  options: TraceToMetricsOptions,
): (ExploreQuery & { name: string })[] {
  const mappings = options.tags?.length ? options.tags : defaultCrossSignalTags;
  const scopedVars = {
    ...scopedVarsFromTrace(trace),
    ...scopedVarsFromSpan(span),
    __tags: { text: 'Tags', value: filteredTags(span, mappings).join(', ') },
  };
  const latency = `sum(rate(traces_spanmetrics_latency_bucket{service="${span.process.serviceName}"}[5m])) by (le)`;
  const fallback = `histogram_quantile(0.5, ${latency})`;
  return options.queries.map((q) => ({
    name: q.name,
    datasourceUid: options.datasourceUid,
    expr: replaceVariables(q.query || fallback, scopedVars),
    range: spanTimeRange(span, options.spanStartTimeShift, options.spanEndTimeShift, 120_000),
  }));
}

export interface DerivedField {
  name: string;
  matcherType?: 'label' | 'regex';
  matcherRegex: string;
  datasourceUid?: string;
  url: string;
}

/**
 * A log line's derived field (plugins/datasource/loki/getDerivedFields.ts): for matcherType label, the value of
 * the first label whose *name* the regex matches (unanchored); the internal link's query is `url` with
 * `${__value.raw}` replaced (no queryType for Jaeger), a trace-by-id query.
 */
export function derivedFieldLink(
  labels: Record<string, string>,
  field: DerivedField,
): { datasourceUid?: string; query: string } | undefined {
  let value: string | undefined;
  if (field.matcherType === 'label') {
    const key = Object.keys(labels).find((k) => new RegExp(field.matcherRegex).test(k));
    value = key === undefined ? undefined : labels[key];
  }
  if (value === undefined || value === null) return undefined;
  return {
    datasourceUid: field.datasourceUid,
    query: replaceVariables(field.url, { __value: { value: { raw: value } } }),
  };
}

export interface ExemplarTraceIdDestination {
  name: string;
  datasourceUid?: string;
  url?: string;
  urlDisplayLabel?: string;
}
export type ExemplarLink =
  | { kind: 'internal'; datasourceUid: string; query: { query: string; queryType: string } }
  | { kind: 'url'; href: string };

/**
 * The links on an exemplar's trace id label (@grafana/prometheus result_transformer.ts getDataLinks): an internal
 * one when datasourceUid is set, whose query carries queryType "traceql" (made for Tempo; the Jaeger plugin only
 * runs a trace-id query when queryType is empty), and a url one when url is set, interpolated as link hrefs are
 * (features/panel/panellinks/link_srv.ts: base URL, then variables URI-encoded).
 */
export function exemplarLinks(
  exemplarLabels: Record<string, string>,
  destinations: ExemplarTraceIdDestination[],
): ExemplarLink[] {
  return destinations.flatMap((d): ExemplarLink[] => {
    const value = exemplarLabels[d.name];
    if (value === undefined) return [];
    const vars = { __value: { value: { raw: value } } };
    return [
      ...(d.datasourceUid
        ? [
            {
              kind: 'internal' as const,
              datasourceUid: d.datasourceUid,
              query: { query: replaceVariables('${__value.raw}', vars), queryType: 'traceql' },
            },
          ]
        : []),
      ...(d.url
        ? [{ kind: 'url' as const, href: replaceVariables(d.url.replace(/\n/g, ''), vars, undefined, 'uriencode') }]
        : []),
    ];
  });
}

/** The datasource and queries of an Explore URL (`left=` of @grafana/data's generateInternalHref, or `panes=`). */
export function exploreState(href: string): { datasource: string; queries: Record<string, unknown>[] }[] {
  const url = new URL(href, 'http://grafana.invalid');
  if (url.pathname !== '/explore') throw new Error(`not an Explore URL: ${href}`);
  const left = url.searchParams.get('left');
  if (left) return [JSON.parse(left)];
  const panes = url.searchParams.get('panes');
  if (panes) return Object.values(JSON.parse(panes));
  throw new Error(`no Explore state in ${href}`);
}

// ---- the span details' link buttons (TraceTimelineViewer/SpanDetail/SpanDetailLinkButtons.tsx) ----

/** The fixed title the span details give a logs link, whatever the link was called. */
export const logsLinkTitle = 'Logs for this span';
/** More links than this and the span details show one "Links" menu instead of buttons (MAX_LINKS). */
export const maxLinkButtons = 3;

export type SpanDetailLinks = { kind: 'buttons'; titles: string[] } | { kind: 'menu'; titles: string[] };

/**
 * What a span's details show for its links (Share aside): the logs link titled "Logs for this span"; a metrics
 * link keeps its query's name but is typed Unknown there, so the sort by LINKS_ORDER (metrics, logs, profiles, ...)
 * puts it after the logs link, the metrics links in their configured order (the sort is stable). Up to
 * MAX_LINKS links are buttons; more fold into one "Links" menu listing the same titles.
 */
export function spanDetailLinks(logs: ExploreQuery | undefined, metrics: { name: string }[]): SpanDetailLinks {
  const titles = [...(logs ? [logsLinkTitle] : []), ...metrics.map((m) => m.name)];
  return titles.length > maxLinkButtons ? { kind: 'menu', titles } : { kind: 'buttons', titles };
}
