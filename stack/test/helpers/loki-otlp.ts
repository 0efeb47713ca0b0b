// How Loki stores an OTLP log record (its docs, send-data/otel "Format considerations", at the version .env pins):
// the resource attributes that otlp_config makes index labels are the stream's labels; everything else of the
// record (other resource attributes, record attributes, trace and span id, flags, severity) is structured
// metadata; names get `_` for `.`. Grafana's Loki datasource shows both kinds together as a line's labels.
import { readYaml } from './repo';

export interface OtlpKeyValue {
  key: string;
  value?: Record<string, unknown>;
}
export interface OtlpLogRecord {
  severityNumber?: number;
  severityText?: string;
  body?: Record<string, unknown>;
  attributes?: OtlpKeyValue[];
  traceId?: string;
  spanId?: string;
  flags?: number;
}
export interface OtlpLogsRequest {
  resourceLogs?: { resource?: { attributes?: OtlpKeyValue[] }; scopeLogs?: { logRecords?: OtlpLogRecord[] }[] }[];
}

const name = (key: string) => key.replace(/[^A-Za-z0-9_]/g, '_');
const text = (v?: Record<string, unknown>): string => {
  const scalar = v?.stringValue ?? v?.intValue ?? v?.doubleValue ?? v?.boolValue;
  return typeof scalar === 'string' || typeof scalar === 'number' || typeof scalar === 'boolean' ? String(scalar) : '';
};

/** The OTLP resource attributes loki.yaml turns into index labels (ignore_defaults: only those it lists). */
export function indexedResourceAttributes(): string[] {
  const otlp = readYaml('config_volumes/loki/loki.yaml').limits_config.otlp_config.resource_attributes;
  if (!otlp.ignore_defaults) throw new Error('loki.yaml keeps the default index labels: list them here');
  return otlp.attributes_config
    .filter((c: { action: string }) => c.action === 'index_label')
    .flatMap((c: { attributes: string[] }) => c.attributes);
}

/** The index labels' names in Loki (service.name -> service_name, ...). */
export const indexLabelNames = () => indexedResourceAttributes().map(name);

export interface StoredLogLine {
  line: string;
  /** stream labels */
  index: Record<string, string>;
  structuredMetadata: Record<string, string>;
}

/** Every record of an OTLP export request, as Loki would store it. */
export function asStoredInLoki(request: OtlpLogsRequest): StoredLogLine[] {
  const indexed = new Set(indexedResourceAttributes());
  return (request.resourceLogs ?? []).flatMap((rl) => {
    const index: Record<string, string> = {};
    const resourceMetadata: Record<string, string> = {};
    for (const a of rl.resource?.attributes ?? [])
      (indexed.has(a.key) ? index : resourceMetadata)[name(a.key)] = text(a.value);
    return (rl.scopeLogs ?? []).flatMap((sl) =>
      (sl.logRecords ?? []).map((r) => ({
        line: text(r.body),
        index,
        structuredMetadata: {
          ...resourceMetadata,
          ...Object.fromEntries((r.attributes ?? []).map((a) => [name(a.key), text(a.value)])),
          ...(r.traceId ? { trace_id: r.traceId } : {}),
          ...(r.spanId ? { span_id: r.spanId } : {}),
          ...(r.flags !== undefined ? { flags: String(r.flags) } : {}),
          ...(r.severityText ? { severity_text: r.severityText } : {}),
          ...(r.severityNumber ? { severity_number: String(r.severityNumber) } : {}),
        },
      })),
    );
  });
}

/**
 * A log record of the stack under test as Loki stores it: the compose run's stand-in gives resource and record
 * attributes by OTLP name (a record attribute named like an indexed resource attribute would be taken for it),
 * real Loki its labels and structured metadata together, by Loki name.
 */
export function standinAsStored(record: {
  body: string;
  traceId: string;
  spanId: string;
  labels: Record<string, string>;
}): StoredLogLine {
  const indexed = new Set([...indexedResourceAttributes(), ...indexLabelNames()]);
  const index: Record<string, string> = {};
  const structuredMetadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.labels)) (indexed.has(k) ? index : structuredMetadata)[name(k)] = v;
  if (record.traceId) structuredMetadata.trace_id = record.traceId;
  if (record.spanId) structuredMetadata.span_id = record.spanId;
  return { line: record.body, index, structuredMetadata };
}
