// Static checks of loki.yaml (Loki 3.7 single binary): filesystem storage under the mounted /loki, tsdb +
// schema v13 (OTLP needs it), structured metadata, retention (which fails to start without
// delete_request_store), no usage reporting, no auth, in-memory ring.
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { lokiConfig, processEnv } from '../helpers/retention';

const loki = loadCompose().compose.services.loki!;
// as Loki reads it under compose: variables expanded from the container's environment
const config = lokiConfig(loki.command ?? [], processEnv(loki));

describe('loki.yaml', () => {
  it('is the config compose runs, with its data in the mounted /loki', () => {
    expect(loki.command).toEqual(['-config.file=/etc/loki/loki.yaml', '-config.expand-env=true']);
    expect(loki.volumes).toContain('./config_volumes/loki:/etc/loki:ro');
    expect(loki.volumes).toContain('./data_volumes/loki:/loki');
    const paths = [
      config.common.path_prefix,
      config.common.storage.filesystem.chunks_directory,
      config.common.storage.filesystem.rules_directory,
      config.storage_config.tsdb_shipper.active_index_directory,
      config.storage_config.tsdb_shipper.cache_location,
      config.compactor.working_directory,
    ];
    for (const p of paths) expect(p).toMatch(/^\/loki(\/|$)/);
  });

  it('runs single-tenant on one in-memory ring', () => {
    expect(config.auth_enabled).toBe(false);
    expect(config.server.http_listen_port).toBe(3100);
    expect(config.common.replication_factor).toBe(1);
    expect(config.common.ring.kvstore.store).toBe('inmemory');
  });

  it('indexes with tsdb and schema v13 (required for OTLP and structured metadata)', () => {
    const configs = config.schema_config.configs;
    expect(configs.at(-1)).toMatchObject({ store: 'tsdb', object_store: 'filesystem', schema: 'v13' });
    expect(config.limits_config.allow_structured_metadata).toBe(true);
  });

  it('makes service.name the service_name label', () => {
    const attrs = config.limits_config.otlp_config.resource_attributes;
    const indexed = attrs.attributes_config
      .filter((a: { action: string }) => a.action === 'index_label')
      .flatMap((a: { attributes: string[] }) => a.attributes);
    expect(indexed).toContain('service.name');
    expect(indexed).not.toContain('service.instance.id'); // one stream per process start
  });

  it('deletes old data through the compactor', () => {
    expect(config.compactor).toMatchObject({ retention_enabled: true, delete_request_store: 'filesystem' });
    expect(config.limits_config.retention_period).toMatch(/^\d+[hdw]$/);
    expect(config.compactor).not.toHaveProperty('shared_store'); // removed in Loki 3.0
  });

  it('reports no usage statistics', () => {
    expect(config.analytics.reporting_enabled).toBe(false);
  });
});
