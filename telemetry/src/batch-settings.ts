/**
 * Batch sizes of the span and log record processors (standard OTEL_BSP_* / OTEL_BLRP_* variables), used where the
 * environment sets none. Fewer, larger batches: each export is a request and a serialization pass of its own, so
 * they cost less CPU per request; the SDK's smaller ones buy a lower p99 (figures: docs/performance.md). The queues
 * hold 4 batches. Logs wait up to 5 s like spans: the SDK's 1 s meant an export request per second per service
 * even at a trickle.
 */
export const BATCH_SETTINGS = {
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
  OTEL_BSP_MAX_QUEUE_SIZE: '8192',
  OTEL_BLRP_SCHEDULE_DELAY: '5000',
  OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2048',
  OTEL_BLRP_MAX_QUEUE_SIZE: '8192',
} as const;
