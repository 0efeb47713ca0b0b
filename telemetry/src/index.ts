export { createLogger, type Logger } from './logger';
export { withDbSpanFor, type DbOperation, type WithDbSpan } from './db';
export { shutdownTelemetry } from './state';
export { readSettings, type TelemetrySettings } from './settings';
