import { newTrace } from './backends';

export interface Sent {
  status: number;
  traceId: string;
  ms: number;
  body: any;
  /** Sent a second time after a socket error (the first attempt may or may not have reached the server). */
  retried: boolean;
}

/** One request to order-service, in a trace whose id the test knows (it sends the W3C traceparent). */
export async function send(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Sent> {
  const { traceId, traceparent } = newTrace();
  const t0 = performance.now();
  const request = () =>
    fetch(`${base}${path}`, {
      method,
      headers: { traceparent, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  // A pooled keep-alive connection that the server (or a restarted container) closed as it was reused fails
  // before the request is read: sent again once, on a new connection.
  let retried = false;
  const res = await request().catch((err: Error & { cause?: { code?: string } }) => {
    if (err.cause?.code !== 'UND_ERR_SOCKET' && err.cause?.code !== 'ECONNRESET') throw err;
    retried = true;
    return request();
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  return { status: res.status, traceId, ms, body: text ? JSON.parse(text) : undefined, retried };
}

/** A steady trickle of mixed requests in the background, so rate() over the last minute has data. */
export function trickle(base: string, inventory: string, everyMs = 500): () => Promise<void> {
  let n = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    n++;
    const p =
      n % 20 === 0
        ? send(inventory, 'POST', '/restock', { product_id: 5, quantity: 20 }) // stock never runs dry
        : n % 5 === 0
          ? send(base, 'POST', '/order-product', { username: 'trickle', product_id: 999 })
          : n % 2 === 0
            ? send(base, 'POST', '/order-product', { username: 'trickle', product_id: 5, quantity: 1 })
            : send(base, 'GET', '/list-products');
    const tracked = p.catch(() => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await Promise.allSettled([...inFlight]);
  };
}
