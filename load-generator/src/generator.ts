import axios, { type AxiosInstance } from 'axios';
import type { Logger } from '@ostack/telemetry';
import type { LoadConfig } from './config';
import { type Action, choose, demoMix, restockPlan } from './mix';

export interface LoadStats {
  sent: number;
  byStatus: Record<string, number>;
  restocked: number;
}

/** Sends the demo mix at a steady rate and keeps stock from running dry, until stopped. */
export class LoadGenerator {
  readonly stats: LoadStats = { sent: 0, byStatus: {}, restocked: 0 };
  private readonly orders: AxiosInstance;
  private readonly inventory: AxiosInstance;
  private readonly mix: Action[] = demoMix();
  private timers: NodeJS.Timeout[] = [];
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly config: LoadConfig,
    private readonly logger: Logger,
  ) {
    const common = { timeout: 5_000, validateStatus: () => true };
    this.orders = axios.create({ baseURL: config.ORDER_SERVICE_URL, ...common });
    this.inventory = axios.create({ baseURL: config.INVENTORY_SERVICE_URL, ...common });
  }

  start(): void {
    this.timers.push(setInterval(() => this.track(this.sendOne()), 1_000 / this.config.LOAD_RPS));
    this.timers.push(setInterval(() => this.track(this.restock()), this.config.LOAD_RESTOCK_INTERVAL_S * 1_000));
    this.timers.push(setInterval(() => this.logger.info('load summary', { ...this.stats }), 60_000));
    this.track(this.restock());
  }

  /** Stops sending and waits for the requests under way. */
  async stop(): Promise<LoadStats> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([...this.inFlight]);
    return this.stats;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async sendOne(): Promise<void> {
    const action = choose(this.mix);
    let status = 'error';
    try {
      const res = await this.orders.request({ method: action.method, url: action.path, data: action.body?.() });
      status = String(res.status);
    } catch (err) {
      this.logger.warn('request failed', { action: action.name, error: (err as Error).message });
    }
    this.stats.sent++;
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }

  private async restock(): Promise<void> {
    try {
      const res = await this.inventory.get<{ products: { id: number; stock: number }[] }>('/list-products');
      if (res.status !== 200) return;
      for (const item of restockPlan(res.data.products, this.config.LOAD_RESTOCK_BELOW, this.config.LOAD_RESTOCK_TO)) {
        const done = await this.inventory.post('/restock', item);
        if (done.status === 200) {
          this.stats.restocked++;
          this.logger.info('restocked', item);
        }
      }
    } catch (err) {
      this.logger.warn('restock failed', { error: (err as Error).message });
    }
  }
}
