// Metric names as Prometheus stores them (docs/CONTRACT.md), and a light PromQL scan that finds the
// metric names a query selects. Not a parser: promtool (when installed) parses the queries for real.
import { recordedMetrics } from './rules';

const histogram = (base: string) => [`${base}_bucket`, `${base}_sum`, `${base}_count`];
const otelcolSignals = ['spans', 'metric_points', 'log_records'];

export const knownMetrics = new Set<string>([
  ...histogram('http_server_request_duration_seconds'),
  ...histogram('http_client_request_duration_seconds'),
  'orders_placed_total',
  'orders_rejected_total',
  'orders_left_pending_total',
  'inventory_stock',
  'v8js_memory_heap_used_bytes',
  'nodejs_eventloop_delay_p99_seconds',
  'traces_span_metrics_calls_total',
  ...histogram('traces_span_metrics_duration_seconds'),
  ...otelcolSignals.flatMap((s) => [
    `otelcol_receiver_accepted_${s}_total`,
    `otelcol_receiver_refused_${s}_total`,
    `otelcol_receiver_failed_${s}_total`,
    `otelcol_exporter_sent_${s}_total`,
    `otelcol_exporter_send_failed_${s}_total`,
  ]),
  'otelcol_exporter_queue_size',
  'otelcol_exporter_queue_capacity',
  'otelcol_process_memory_rss_bytes',
  // the services' database: their own gauge, and node-postgres' pool and queries (@opentelemetry/instrumentation-pg)
  'ostack_database_up',
  'db_client_connection_count',
  'db_client_connection_max',
  'db_client_connection_pending_requests',
  ...histogram('db_client_operation_duration_seconds'),
  'up',
  // what Prometheus' recording rules store (config_volumes/prometheus/rules)
  ...recordedMetrics(),
]);

const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'le',
]);

/** Metric names selected by a PromQL expression (identifiers outside strings, matchers, ranges, groupings). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)]
    .filter((m) => !m[2] && !keywords.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!);
  return [...new Set(names)];
}

/** Brackets, braces and parentheses pair up outside strings. */
export function balanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const ch of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}
