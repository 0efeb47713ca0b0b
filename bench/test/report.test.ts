import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointSection, writeDoc } from '../src/report.ts';
import { summarize } from '../src/stats.ts';

const scratch = (name: string) => join(mkdtempSync(join(tmpdir(), 'bench-doc-')), name);

describe('--write-doc', () => {
  it('replaces only what stands between the bench markers', () => {
    const file = scratch('performance.md');
    writeFileSync(
      file,
      '# Performance\n\nBefore.\n\n<!-- bench:start (written by npm run bench) -->\nold run\n<!-- bench:end -->\n\nAfter.\n',
    );
    writeDoc(file, 'new run');
    expect(readFileSync(file, 'utf8')).toBe(
      '# Performance\n\nBefore.\n\n<!-- bench:start (written by npm run bench -- --write-doc) -->\nnew run\n' +
        '<!-- bench:end -->\n\nAfter.\n',
    );
  });

  it('appends the markers to a file without them, and creates a missing file', () => {
    const file = scratch('notes.md');
    writeFileSync(file, '# Notes\n');
    writeDoc(file, 'a run');
    expect(readFileSync(file, 'utf8')).toMatch(/^# Notes\n\n<!-- bench:start [^\n]*-->\na run\n<!-- bench:end -->\n$/);
    const missing = scratch('new.md');
    writeDoc(missing, 'a run');
    expect(readFileSync(missing, 'utf8')).toContain('\na run\n<!-- bench:end -->\n');
  });
});

describe('an endpoint section', () => {
  const config = (id: string) => ({ id, label: id, bootstrap: id !== 'none', env: {} });
  const row = (id: string, cpuMs: number, requests: number) => {
    const rounds = [{ round: 0, requests, seconds: 1, p50: 1, p99: 2, cpuMs, collectorCpuMs: 0, failures: 0 }];
    return { config: config(id), summary: summarize(rounds), rounds };
  };
  const ep = { id: 'list', label: 'GET /list-products', method: 'GET' as const, path: '/list-products', rate: 100 };

  it('judges the goals on CPU per request, and on throughput at saturation only', () => {
    // telemetry on: 1.25 ms/req against 1 ms/req without the bootstrap (0.8 ≥ 0.7), at half the throughput.
    const saturatedRows = [row('none', 1000, 1000), row('on', 625, 500)];
    // At the fixed 100 req/s, telemetry on served 50: not sustained.
    const fixedRows = [row('none', 100, 100), row('on', 62.5, 50)];
    const section = endpointSection(ep, 10, saturatedRows, fixedRows);
    const [saturated, fixed] = section.split('At a fixed 100 req/s');
    expect(saturated).toContain('- met: telemetry on, CPU per request 0.80 of no bootstrap (goal ≥ 0.7)');
    expect(saturated).toContain('- **not met**: telemetry on, throughput 0.50 of no bootstrap (goal ≥ 0.7)');
    expect(fixed).toContain('**not sustained** by on');
    expect(fixed).not.toContain('throughput');
  });
});
