// Where the suite runs: the native stack built here (`npm run test:stack`), or a running compose stack
// (`npm run test:e2e`). The assertions take the backends' addresses from here and nothing else.
import { execFileSync } from 'node:child_process';
import { dotenv } from '../helpers/env';
import { repoPath } from '../helpers/repo';
import type { NativeStack } from './native';

export type Faultable = 'otel-collector' | 'jaeger';

export interface StackTarget {
  kind: 'native' | 'compose';
  urls: { order: string; inventory: string; prometheus: string; jaeger: string; loki: string; grafana?: string };
  stop(name: Faultable): Promise<void>;
  start(name: Faultable): Promise<void>;
}

export function nativeTarget(stack: NativeStack): StackTarget {
  return {
    kind: 'native',
    urls: {
      order: 'http://order-service:8000',
      inventory: 'http://inventory-service:8010',
      prometheus: 'http://prometheus:9090',
      jaeger: 'http://jaeger:16686',
      loki: 'http://loki:3100',
    },
    stop: async (name) => void (await stack.stopProgram(name)),
    start: (name) => stack.startProgram(name),
  };
}

export function composeTarget(): StackTarget {
  const env = { ...dotenv(), ...process.env } as Record<string, string>;
  const host = env.STACK_HOST ?? env.OSTACK_BIND_ADDRESS ?? '127.0.0.1';
  const urls = {
    order: `http://${host}:8000`,
    inventory: `http://${host}:8010`,
    prometheus: `http://${host}:9090`,
    jaeger: `http://${host}:16686`,
    loki: `http://${host}:3100`,
    grafana: `http://${host}:3000`,
  };
  const compose = (...args: string[]) => execFileSync('docker', ['compose', ...args], { cwd: repoPath(), stdio: 'pipe' });
  return {
    kind: 'compose',
    urls,
    stop: async (name) => void compose('stop', name),
    start: async (name) => {
      compose('start', name);
      const ready = name === 'jaeger' ? `${urls.jaeger}/api/services` : `http://${host}:4318/v1/traces`;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        try {
          await fetch(ready, { signal: AbortSignal.timeout(2_000) });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      throw new Error(`${name} did not come back`);
    },
  };
}
