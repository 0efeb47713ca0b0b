// A pod's Prometheus endpoint read directly (the Collectors' :8888 own metrics, tier 1's :8889 app and span metrics),
// through a port-forward: what that one process reports now, without waiting for a Prometheus scrape.
import { forwardTo } from './port-forward';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (OpenMetrics too: exemplars and timestamps after the value are ignored). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*?)\})?\s+(\S+)/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(pod: string, port: number): Promise<Sample[]> {
  const base = await forwardTo(`pod/${pod}`, port);
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${pod}:${port}/metrics ${res.status}`);
  return parseExposition(await res.text());
}
