// Preload entry: `node --require @ostack/telemetry/register dist/main.js`. It must run before express, http
// and winston are loaded, so that their instrumentations can patch them.
import { readSettings } from './settings';
import { setTelemetry } from './state';

const settings = readSettings();
if (!settings.disabled) {
  // Loaded only when enabled: with OTEL_SDK_DISABLED=true no instrumentation is even constructed, so no module
  // is patched and the service runs as if the bootstrap were absent.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous, before the service loads
  const { startTelemetry } = require('./sdk') as typeof import('./sdk');
  setTelemetry(startTelemetry({}, settings));
}
