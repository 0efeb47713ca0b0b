import { describe, expect, it } from 'vitest';
import { applyEnvDefaults } from '../src/env-defaults';
import { readSettings } from '../src/settings';

describe('our defaults for the standard OTEL_* variables', () => {
  it('fill only what the environment leaves unset or empty', () => {
    const env: NodeJS.ProcessEnv = { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512', OTEL_PROPAGATORS: '' };
    applyEnvDefaults(readSettings({ OTEL_METRIC_EXPORT_INTERVAL: '2000' }, undefined), env);
    expect(env).toEqual({
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,winston,runtime-node',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_PROPAGATORS: 'tracecontext',
      OTEL_METRIC_EXPORT_INTERVAL: '2000',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512', // the user's
      OTEL_BSP_MAX_QUEUE_SIZE: '8192',
      OTEL_BLRP_SCHEDULE_DELAY: '5000',
      OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2048',
      OTEL_BLRP_MAX_QUEUE_SIZE: '8192',
    });
  });

  it('add instrumentation-pg when the service is on PostgreSQL (DATABASE_URL=postgres://…)', () => {
    const settings = readSettings({}, undefined);
    for (const [url, enabled] of [
      ['postgres://u@db:5432/orders', 'http,winston,runtime-node,pg'],
      ['postgresql://db/orders', 'http,winston,runtime-node,pg'],
      ['', 'http,winston,runtime-node'],
    ]) {
      const env: NodeJS.ProcessEnv = { DATABASE_URL: url };
      applyEnvDefaults(settings, env);
      expect(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS, url).toBe(enabled);
    }
    // A user's own list stands.
    const own: NodeJS.ProcessEnv = { DATABASE_URL: 'postgres://db/x', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' };
    applyEnvDefaults(settings, own);
    expect(own.OTEL_NODE_ENABLED_INSTRUMENTATIONS).toBe('http');
  });
});
