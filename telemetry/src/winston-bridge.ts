import * as api from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';

/**
 * A compatibility fix, not an optimisation: @opentelemetry/winston-transport 0.34 still logs through the
 * api-logs 0.223 global, while NodeSDK 0.301 registers its LoggerProvider in @opentelemetry/api 1.10. Hand it
 * over after sdk.start(), or winston records never leave. Remove once the transport moves to @opentelemetry/api.
 */
export function bridgeWinstonTransport(): void {
  legacyLogs.setGlobalLoggerProvider(api.logs.getLoggerProvider());
}
