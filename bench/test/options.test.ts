import { describe, expect, it } from 'vitest';
import { DOC, readOptions } from '../src/options.ts';

describe('the bench command line', () => {
  it('writes no file unless asked: --write-doc is docs/performance.md, --write-doc=FILE that file', () => {
    expect(readOptions([], {})).toMatchObject({ writeDoc: undefined });
    expect(readOptions(['--write-doc'], {})).toMatchObject({ writeDoc: DOC });
    expect(DOC).toMatch(/\/docs\/performance\.md$/);
    expect(readOptions(['--write-doc=/tmp/x.md'], {})).toMatchObject({ writeDoc: '/tmp/x.md' });
  });

  it('answers --help with the help text, and refuses what it does not know', () => {
    expect(readOptions(['--help'], {})).toBe('help');
    expect(() => readOptions(['--write'], {})).toThrow(/unknown argument --write/);
  });

  it('reads the knobs of the environment, and keeps the defaults for values that are not positive integers', () => {
    const o = readOptions([], {
      BENCH_SECONDS: '3',
      BENCH_ROUNDS: '-2',
      BENCH_ENDPOINTS: ' inventory ,',
      BENCH_FIXED_RATE: '0',
    });
    expect(o).toMatchObject({ seconds: 3, rounds: 4, endpointIds: ['inventory'], fixedRate: false });
  });
});
