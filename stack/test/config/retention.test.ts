// Traces outlive the logs that link to them: a log line's "View trace" link must find its trace as long as Loki
// can return the line. Read from the shipped .env, docker-compose.yml, loki.yaml and Jaeger's config, as Loki
// (-config.expand-env) and Jaeger (${env:VAR}) read them under compose.
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../helpers/compose';
import { dotenv } from '../helpers/env';
import { readText } from '../helpers/repo';
import { collectorConfig, defaultsIn, durationMs, hours, lokiConfig, processEnv } from '../helpers/retention';

const env = dotenv();
const { compose } = loadCompose(env);
const lokiService = compose.services.loki!;
const jaegerService = compose.services.jaeger!;
const loki = lokiConfig(lokiService.command ?? [], processEnv(lokiService));
const jaeger = collectorConfig('config_volumes/jaeger/config.yaml', processEnv(jaegerService));

/**
 * Beyond retention_period, delete delay and a compaction pass: Loki expires a chunk by its newest line
 * (compactor/retention/expiration.go, now - Through > period), so a line outlives the retention by up to the
 * ingester's max_chunk_age (2h by default); queriers see the index a few minutes late. One day covers both.
 */
const marginMs = durationMs('24h');

describe('log and trace retention', () => {
  const retention = durationMs(loki.limits_config.retention_period);
  const deleteDelay = durationMs(loki.compactor.retention_delete_delay);
  const compaction = durationMs(loki.compactor.compaction_interval);
  const ttl = durationMs(jaeger.extensions.jaeger_storage.backends.badger_store.badger.ttl.spans);

  it('keeps traces until every log line that links to one is gone, with a day to spare', () => {
    expect(loki.compactor.retention_enabled).toBe(true);
    const needed = retention + deleteDelay + compaction + marginMs;
    expect(
      hours(ttl),
      `trace TTL ${hours(ttl)}h < ${hours(needed)}h (logs ${hours(retention)}h + deletion lag + margin)`,
    ).toBeGreaterThanOrEqual(hours(needed));
  });

  it('sets both in .env, which compose hands to Loki and Jaeger', () => {
    expect(durationMs(env.OSTACK_RETENTION_LOGS!)).toBe(retention);
    expect(durationMs(env.OSTACK_RETENTION_TRACES!)).toBe(ttl);
    expect(lokiService.command).toContain('-config.expand-env=true');
    expect(lokiService.environment?.OSTACK_RETENTION_LOGS).toBe(env.OSTACK_RETENTION_LOGS);
    expect(jaegerService.environment?.OSTACK_RETENTION_TRACES).toBe(env.OSTACK_RETENTION_TRACES);
  });

  it('falls back, outside compose, to the same values as .env', () => {
    expect(defaultsIn('config_volumes/loki/loki.yaml')).toEqual({ OSTACK_RETENTION_LOGS: env.OSTACK_RETENTION_LOGS });
    expect(defaultsIn('config_volumes/jaeger/config.yaml')).toEqual({
      OSTACK_RETENTION_TRACES: env.OSTACK_RETENTION_TRACES,
    });
    expect(
      durationMs(
        collectorConfig('config_volumes/jaeger/config.yaml', {}).extensions.jaeger_storage.backends.badger_store.badger
          .ttl.spans,
      ),
    ).toBe(ttl);
    expect(durationMs(lokiConfig(['-config.expand-env=true'], {}).limits_config.retention_period)).toBe(retention);
  });

  it('reads the rule in .env, next to the two values', () => {
    const text = readEnvBlock();
    expect(text).toMatch(/OSTACK_RETENTION_TRACES >= OSTACK_RETENTION_LOGS/);
    expect(text).toMatch(/go together/i);
  });
});

/** The comment block above OSTACK_RETENTION_LOGS in .env. */
function readEnvBlock(): string {
  const lines = loadEnvLines();
  const at = lines.findIndex((l) => l.startsWith('OSTACK_RETENTION_LOGS='));
  let start = at;
  while (start > 0 && lines[start - 1]!.startsWith('#')) start--;
  return lines.slice(start, at + 2).join('\n');
}
const loadEnvLines = () => readText('.env').split('\n');
