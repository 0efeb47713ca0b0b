import type { RequestHandler } from 'express';
import { metrics, type BatchObservableCallback } from '@opentelemetry/api';
import type { Logger } from '@ostack/telemetry';
import type { DatabaseSystem } from './database';

const meter = metrics.getMeter('@ostack/service-kit');

/** What the probe asks: one cheap round trip to the service's database, bounded in time. */
export interface Pingable {
  readonly system: DatabaseSystem;
  ping(timeoutMs: number): Promise<void>;
}

export interface ProbeOptions {
  intervalMs?: number;
  timeoutMs?: number;
}

/**
 * Pings the database every few seconds and keeps the last result: what `GET /ready` answers and what the gauge
 * `ostack.database.up` reports (1 up, 0 not; by db.system.name). Neither a readiness check nor a metrics
 * collection queries the database itself, so neither can pile up queries on a struggling server.
 */
export class DatabaseProbe {
  private up = false;
  private error = 'not probed yet';
  private readonly timer: NodeJS.Timeout;
  private readonly gauge = meter.createObservableGauge('ostack.database.up', {
    // No unit: with unit "1" the Collector's Prometheus exporter would name it ostack_database_up_ratio.
    description: "1 when the service's last probe of its database succeeded, 0 when it did not",
  });
  private readonly observe: BatchObservableCallback = (result) =>
    result.observe(this.gauge, this.up ? 1 : 0, { 'db.system.name': this.db.system });
  private probing?: Promise<void>;
  private readonly timeoutMs: number;

  constructor(
    private readonly db: Pingable,
    private readonly logger: Logger,
    { intervalMs = 2_000, timeoutMs = 1_500 }: ProbeOptions = {},
  ) {
    this.timeoutMs = timeoutMs;
    void this.check();
    this.timer = setInterval(() => void this.check(), intervalMs).unref();
    meter.addBatchObservableCallback(this.observe, [this.gauge]);
  }

  get status(): { up: boolean; system: DatabaseSystem; error?: string } {
    return this.up ? { up: true, system: this.db.system } : { up: false, system: this.db.system, error: this.error };
  }

  /** Probes now (unless a probe is in flight); resolves once the result is in. */
  check(): Promise<void> {
    this.probing ??= this.probeOnce(this.timeoutMs).finally(() => (this.probing = undefined));
    return this.probing;
  }

  stop(): void {
    clearInterval(this.timer);
    meter.removeBatchObservableCallback(this.observe, [this.gauge]);
  }

  private async probeOnce(timeoutMs: number): Promise<void> {
    try {
      await this.db.ping(timeoutMs);
      if (!this.up) this.logger.info('database reachable', { 'db.system.name': this.db.system });
      this.up = true;
    } catch (err) {
      this.error = (err as Error).message;
      if (this.up) this.logger.warn('database unreachable', { 'db.system.name': this.db.system, error: this.error });
      this.up = false;
    }
  }
}

/**
 * `GET /ready`, the readiness probe: 200 while the last probe of the database succeeded, else 503 with the usual
 * JSON error body. Unlike `GET /health` (liveness, up while the process serves), it goes down with the database,
 * so an orchestrator stops sending traffic to this replica without restarting it.
 */
export function readyRoute(probe: DatabaseProbe, service: string, version: string): RequestHandler {
  return (_req, res) => {
    const { up, system, error } = probe.status;
    if (up) {
      res.json({ status: 'ready', service, version, database: { system, up } });
      return;
    }
    res.status(503).json({
      error: { code: 'database_unavailable', message: `database unreachable: ${error}`, database: { system, up } },
    });
  };
}
