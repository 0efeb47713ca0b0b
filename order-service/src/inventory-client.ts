import axios, { type AxiosInstance } from 'axios';

export interface Product {
  id: number;
  name: string;
  stock: number;
}

export type StockAnswer =
  | { kind: 'reduced'; stock: number }
  /** inventory-service said no (unknown product, not enough stock, key reused): final. */
  | { kind: 'refused'; status: number; code: string; message: string }
  /** No answer, a timeout or a 5xx: the reduction may or may not have happened. */
  | { kind: 'unavailable'; message: string };

export class InventoryUnavailable extends Error {}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** HTTP client of inventory-service; the http instrumentation traces each call and propagates the context. */
export class InventoryClient {
  private readonly http: AxiosInstance;

  constructor(baseURL: string, timeoutMs: number) {
    this.http = axios.create({ baseURL, timeout: timeoutMs, validateStatus: () => true });
  }

  async reduceStock(productId: number, quantity: number, idempotencyKey: string): Promise<StockAnswer> {
    try {
      const res = await this.http.post<{ stock: number } & ErrorBody>(
        '/reduce-stock',
        { product_id: productId, quantity },
        { headers: { 'Idempotency-Key': idempotencyKey } },
      );
      if (res.status === 200) return { kind: 'reduced', stock: res.data.stock };
      if (res.status >= 400 && res.status < 500) {
        return {
          kind: 'refused',
          status: res.status,
          code: res.data?.error?.code ?? 'inventory_refused',
          message: res.data?.error?.message ?? `inventory-service answered ${res.status}`,
        };
      }
      return { kind: 'unavailable', message: `inventory-service answered ${res.status}` };
    } catch (err) {
      return { kind: 'unavailable', message: describe(err) };
    }
  }

  async listProducts(): Promise<Product[]> {
    let res;
    try {
      res = await this.http.get<{ products: Product[] }>('/list-products');
    } catch (err) {
      throw new InventoryUnavailable(describe(err));
    }
    if (res.status !== 200) throw new InventoryUnavailable(`inventory-service answered ${res.status}`);
    return res.data.products;
  }
}

function describe(err: unknown): string {
  if (axios.isAxiosError(err)) {
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') return 'inventory-service did not answer in time';
    return `inventory-service unreachable (${err.code ?? err.message})`;
  }
  return (err as Error).message;
}
