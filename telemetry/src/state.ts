import type { Telemetry } from './sdk';

// The preloaded bootstrap and the service's own code are separate entry points: this module is where they meet.
let current: Telemetry | undefined;

export function setTelemetry(telemetry: Telemetry | undefined): void {
  current = telemetry;
}

/** Flush and stop telemetry (bounded); a no-op when the bootstrap was not loaded or OTEL_SDK_DISABLED=true. */
export async function shutdownTelemetry(): Promise<void> {
  await current?.shutdown();
}
