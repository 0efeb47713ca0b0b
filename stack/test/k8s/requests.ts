// Requests to order-service through its Service (the apiserver's service proxy), each in a trace whose id the
// suite picks (a W3C traceparent), in the share so that tier 2 keeps it whatever else it does.
import { randomUUID } from 'node:crypto';
import { randomSpanId, traceIdInShare } from '../helpers/share';
import { SHARE } from './target';

export interface Answered {
  traceId: string;
  /** The traceparent's parent: the client's span, which no service exports. */
  parentSpanId: string;
  key: string;
  status: number; // 0: no HTTP answer at all
  body: any;
  at: number;
  ms: number;
  error?: string;
}

export async function request(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answered> {
  const traceId = traceIdInShare(true, SHARE);
  const key = randomUUID();
  const parentSpanId = randomSpanId();
  const at = Date.now();
  const headers: Record<string, string> = { traceparent: `00-${traceId}-${parentSpanId}-01`, 'idempotency-key': key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // the apiserver's own error pages are not JSON
    }
    return { traceId, parentSpanId, key, status: res.status, body: parsed, at, ms: Date.now() - at };
  } catch (err) {
    return {
      traceId,
      parentSpanId,
      key,
      status: 0,
      body: undefined,
      at,
      ms: Date.now() - at,
      error: (err as Error).message,
    };
  }
}

type Next = (n: number) => { method: 'GET' | 'POST'; path: string; body?: unknown };
const listing: Next = () => ({ method: 'GET', path: '/list-products' });

/** Requests in a loop (GET /list-products unless `next` says otherwise), `concurrency` at a time, until stopped. */
export function requestLoop(base: string, concurrency = 2, pauseMs = 100, next: Next = listing) {
  const answers: Answered[] = [];
  let running = true;
  let n = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) {
      const { method, path, body } = next(n++);
      answers.push(await request(base, method, path, body));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return async () => {
    running = false;
    await Promise.all(workers);
    return answers;
  };
}

/** An answer that is a failure: no answer, a 5xx, or a 4xx other than a refusal for stock (409). */
export const failed = (a: Answered) => !(a.status === 200 || a.status === 201 || a.status === 409);

export const describeFailures = (answers: Answered[]) =>
  answers
    .filter(failed)
    .map((a) => `${new Date(a.at).toISOString()} ${a.status || a.error} ${JSON.stringify(a.body)?.slice(0, 200)}`);
