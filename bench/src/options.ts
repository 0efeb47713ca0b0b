// What a bench run measures: environment knobs and the command line, and the help text that lists both.
import { join } from 'node:path';
import { ROOT } from './services.ts';

export const DOC = join(ROOT, 'docs', 'performance.md');

export const HELP = `npm run bench [-- --write-doc[=FILE]]: what telemetry costs. Both services as real processes, the
same build, in several configurations (no bootstrap, OTEL_SDK_DISABLED=true, telemetry on, Collector down), measured
alternately in ABBA rounds after a warm-up; CPU per request from /proc/<pid>/stat. Prints the figures and the goals.

Options:
  --write-doc         also write the results between the bench markers of docs/performance.md
  --write-doc=FILE    ... of FILE instead (created if missing)
  --help              this text

Environment (defaults in brackets):
  BENCH_SECONDS [5]           seconds per measurement
  BENCH_ROUNDS [4]            ABBA rounds
  BENCH_WARMUP_SECONDS [10]   warm-up of each configuration
  BENCH_CONNECTIONS [10]      autocannon connections (closed loop)
  BENCH_SETTLE_MS [1000]      pause before each measurement
  BENCH_FIXED_RATE [1]        0: leave out the measurement at a fixed rate after each saturated one
  BENCH_RATE_LIST [100], BENCH_RATE_ORDER [40], BENCH_RATE_INVENTORY [1000]   the fixed rates, req/s
  BENCH_CONFIGS [none,disabled,on,down]   configurations
  BENCH_ENDPOINTS [list,order]            endpoints (inventory: inventory-service alone)
  BENCH_VARIANTS                          more configurations, telemetry on, measured in the same rounds:
                                          '{"id": {"env": {"OTEL_...": "..."}, "root": "/other/checkout", "label": ""}}'
  BENCH_CPU_PROF=DIR          V8 CPU profiles of the services of BENCH_CPU_PROF_CONFIGS [on] there
                              (then: node bench/src/profile-top.ts DIR/*.cpuprofile)
  OSTACK_COLLECTOR_BIN, OSTACK_COLLECTOR_HOST [127.0.0.2]   the Collector (default: built by stack/scripts)
  OTEL_*, LOG_LEVEL           passed to the services of the configurations with the bootstrap`;

export interface Options {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  /** Pause before each measurement: what the previous configuration still does (batch exports, the Collector's
   * retries towards absent backends) must not be charged to the next one. */
  settleMs: number;
  /** Each measurement at saturation is followed by one at a fixed rate, the same for every configuration. */
  fixedRate: boolean;
  rates: { list: number; order: number; inventory: number };
  configIds: string[];
  endpointIds: string[];
  /** JSON: extra configurations (see HELP). */
  variants?: string;
  /** A directory: the services of cpuProfConfigs write V8 CPU profiles there. */
  cpuProf?: string;
  cpuProfConfigs: string[];
  /** Where the results go besides the terminal: a Markdown file (between the bench markers), or nowhere. */
  writeDoc?: string;
}

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' {
  const int = (name: string, fallback: number) => {
    const n = Number(env[name]);
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  const list = (name: string, fallback: string) =>
    (env[name] || fallback)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  let writeDoc: string | undefined;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--write-doc') writeDoc = DOC;
    else if (arg.startsWith('--write-doc=')) writeDoc = arg.slice('--write-doc='.length);
    else throw new Error(`unknown argument ${arg} (npm run bench -- --help)`);
  }
  return {
    seconds: int('BENCH_SECONDS', 5),
    rounds: int('BENCH_ROUNDS', 4),
    warmupSeconds: int('BENCH_WARMUP_SECONDS', 10),
    connections: int('BENCH_CONNECTIONS', 10),
    settleMs: int('BENCH_SETTLE_MS', 1000),
    fixedRate: env.BENCH_FIXED_RATE !== '0',
    rates: {
      list: int('BENCH_RATE_LIST', 100),
      order: int('BENCH_RATE_ORDER', 40),
      inventory: int('BENCH_RATE_INVENTORY', 1000),
    },
    configIds: list('BENCH_CONFIGS', 'none,disabled,on,down'),
    endpointIds: list('BENCH_ENDPOINTS', 'list,order'),
    variants: env.BENCH_VARIANTS || undefined,
    cpuProf: env.BENCH_CPU_PROF || undefined,
    cpuProfConfigs: list('BENCH_CPU_PROF_CONFIGS', 'on'),
    writeDoc,
  };
}
