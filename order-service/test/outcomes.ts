import type { Order } from '../src/store';

/** What a client got from POST /order-product. */
export interface Answer {
  status: number;
  body: { order?: Order; replayed?: boolean; error?: { code: string; order_id?: number } };
}

/** The reason order-service stores for a rejected order, by the error code its client was told. */
const REASON: Record<string, string> = {
  product_not_found: 'unknown_product',
  insufficient_stock: 'out_of_stock',
  idempotency_key_reused: 'idempotency_conflict',
};

/**
 * Why an answer disagrees with the order as stored afterwards, or undefined when it agrees: 201/200 -> confirmed
 * (that order), 404/409 -> rejected with that reason, 503 -> any state (pending, or completed later either way),
 * or no order at all when the database was out of reach (503 database_unavailable).
 */
export function disagreement(answer: Answer, order: Order | undefined): string | undefined {
  const told = `answered ${answer.status}${answer.body.error ? ` ${answer.body.error.code}` : ''}`;
  // The database out of reach (PostgreSQL): the order may not have been stored at all.
  const databaseDown = answer.status === 503 && answer.body.error?.code === 'database_unavailable';
  if (!order)
    return answer.status === 201 || answer.status === 200 || (answer.status === 503 && !databaseDown)
      ? `${told}, no order stored`
      : undefined;
  if (answer.status === 201 || answer.status === 200) {
    if (order.status !== 'confirmed' || answer.body.order?.id !== order.id)
      return `${told} for order ${answer.body.order?.id}, stored ${order.id} ${order.status}`;
  } else if (answer.status === 404 || answer.status === 409) {
    const reason = REASON[answer.body.error?.code ?? ''];
    if (order.status !== 'rejected' || order.reason !== reason)
      return `${told}, stored ${order.status} ${order.reason ?? ''}`.trim();
  }
  return undefined;
}

/** The answers that disagree with the orders stored afterwards (found by idempotency key), each with its reason. */
export async function disagreements(
  answers: { key: string; answer: Answer }[],
  byKey: (key: string) => Order | undefined | Promise<Order | undefined>,
): Promise<string[]> {
  const found = [];
  for (const { key, answer } of answers) {
    const why = disagreement(answer, await byKey(key));
    if (why) found.push(`${key}: ${why}`);
  }
  return found;
}
