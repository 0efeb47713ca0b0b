// The preload entry as production uses it (`node --require @ostack/telemetry/register <script>`), on a
// stand-in service (fixtures/demo-service), exporting to an OTLP/HTTP receiver on loopback.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { attr, OtlpReceiver } from '@ostack/test-support/otlp-receiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const receiver = new OtlpReceiver();
let endpoint: string;

/** Runs the stand-in service from the repo root (where package.json names the workspace root `ostack`). */
async function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(
    process.execPath,
    ['--require', '@ostack/telemetry/register', 'telemetry/test/fixtures/demo-service/lib/main.js'],
    { cwd: ROOT, env: { PATH: process.env.PATH, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...env }, stdio: 'pipe' },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout };
}

beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(() => receiver.stop());

describe('node --require @ostack/telemetry/register', () => {
  it('started from the repo root without OTEL_SERVICE_NAME, the service is named for its own package', async () => {
    const run = await runDemo({});
    expect(run).toEqual({ code: 0, stdout: '{"sdkLoaded":true}\n' });
    const [resource] = receiver.resources('traces');
    expect(attr(resource?.resource.attributes, 'service.name')).toBe('demo-service');
    expect(attr(resource?.resource.attributes, 'service.version')).toBe('1.2.3');
  });

  it('with OTEL_SDK_DISABLED=true loads no SDK and sends nothing', async () => {
    receiver.received.traces.length = 0;
    const run = await runDemo({ OTEL_SDK_DISABLED: 'true' });
    expect(run).toEqual({ code: 0, stdout: '{"sdkLoaded":false}\n' });
    expect(receiver.resources('traces')).toEqual([]);
  });
});
