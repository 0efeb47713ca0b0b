import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../src/settings';

const ROOT = join(__dirname, '..', '..');
const DEMO = join(__dirname, 'fixtures', 'demo-service', 'lib', 'main.js');

describe('service.name and service.version', () => {
  it('come from the package of the script being run (its nearest package.json), scope stripped', () => {
    expect(readSettings({}, DEMO)).toMatchObject({ serviceName: 'demo-service', serviceVersion: '1.2.3' });
  });

  it("a service started from the repo root is named for itself, not for the root workspace 'ostack'", () => {
    for (const service of ['order-service', 'inventory-service']) {
      expect(readSettings({}, join(ROOT, service, 'dist', 'main.js')).serviceName).toBe(service);
    }
  });

  it('OTEL_SERVICE_NAME wins, then service.name of OTEL_RESOURCE_ATTRIBUTES', () => {
    const attrs = 'service.name=from-attrs,service.version=9.9.9';
    expect(readSettings({ OTEL_SERVICE_NAME: 'named', OTEL_RESOURCE_ATTRIBUTES: attrs }, DEMO).serviceName).toBe(
      'named',
    );
    expect(readSettings({ OTEL_RESOURCE_ATTRIBUTES: attrs }, DEMO)).toMatchObject({
      serviceName: 'from-attrs',
      serviceVersion: '9.9.9',
    });
  });

  it("without a script (node -e) or a package: the spec's unknown_service:node", () => {
    expect(readSettings({}, '')).toMatchObject({ serviceName: 'unknown_service:node', serviceVersion: '0.0.0' });
    expect(readSettings({}, '/main.js').serviceName).toBe('unknown_service:node');
  });
});

describe('the other settings', () => {
  it('defaults: enabled, environment demo, the local Collector, metrics every 10 s, a 5 s flush bound', () => {
    expect(readSettings({}, DEMO)).toMatchObject({
      disabled: false,
      environment: 'demo',
      otlpEndpoint: 'http://localhost:4318',
      metricExportIntervalMs: 10_000,
      shutdownTimeoutMs: 5_000,
    });
  });

  it('reads the standard variables; a malformed number falls back to the default', () => {
    const settings = readSettings(
      {
        OTEL_SDK_DISABLED: ' TRUE ',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=st%C3%A4ging',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318//',
        OTEL_METRIC_EXPORT_INTERVAL: '1.5',
        OSTACK_TELEMETRY_SHUTDOWN_TIMEOUT_MS: '250',
      },
      DEMO,
    );
    expect(settings).toMatchObject({
      disabled: true,
      environment: 'stäging',
      otlpEndpoint: 'http://collector:4318',
      metricExportIntervalMs: 10_000,
      shutdownTimeoutMs: 250,
    });
  });
});
