import type { RequestOptions } from 'node:http';

/** The exporters' own requests to the Collector, which would otherwise show up as client spans and metrics. */
export function isOwnExport(otlpEndpoint: string): (req: RequestOptions) => boolean {
  const otlp = new URL(otlpEndpoint);
  const port = otlp.port || (otlp.protocol === 'https:' ? '443' : '80');
  return (req) =>
    (req.hostname ?? req.host ?? '').toString().replace(/:\d+$/, '') === otlp.hostname &&
    String(req.port ?? port) === port;
}
