// The chart's PostgreSQL read through `kubectl exec` into its pod (psql there, with the services' own DATABASE_URL
// from their Secret): nothing is installed here, nothing is exposed. And the invariants the services promise on it
// (docs/postgresql.md, "Nothing lost, with several replicas"), checked over everything the suite has done.
import { SEED } from '../../../inventory-service/src/store';
import { kubectl, kubectlJson } from './kube';
import { readyPods } from './pods';
import { type Component, nameOf } from './target';

/** A Secret's key, decoded. */
async function secretValue(name: string, key: string): Promise<string> {
  const secret = await kubectlJson(['get', 'secret', name]);
  return Buffer.from(secret.data[key] as string, 'base64').toString('utf8');
}

/** A service's DATABASE_URL as its container sees it: values, Secret keys and $(VAR) references resolved. */
async function databaseUrl(service: Component): Promise<string> {
  const deployment = await kubectlJson(['get', 'deployment', nameOf(service)]);
  const env: any[] = deployment.spec.template.spec.containers[0].env ?? [];
  const resolved = new Map<string, string>();
  for (const e of env) {
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    const raw = ref ? await secretValue(ref.name, ref.key) : ((e.value as string | undefined) ?? '');
    // Kubernetes expands $(VAR) from the variables defined before it
    resolved.set(
      e.name as string,
      ref ? raw : raw.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => resolved.get(v) ?? m),
    );
  }
  const url = resolved.get('DATABASE_URL');
  if (!url) throw new Error(`${nameOf(service)} has no DATABASE_URL`);
  return url;
}

/** Rows of `sql` (a SELECT) on the database of `service`, as JSON objects. */
export async function query<T>(service: Component, sql: string): Promise<T[]> {
  // psql inside the server's pod: the URL's host is the server itself (the last @ ends the password)
  const url = (await databaseUrl(service)).replace(/@[^@/]+\/([^/]*)$/, '@127.0.0.1:5432/$1');
  const [pod] = await readyPods('postgresql');
  if (!pod) throw new Error('no Ready PostgreSQL pod');
  const json = `SELECT coalesce(json_agg(t), '[]'::json) FROM (${sql}) t`;
  const out = await kubectl(['exec', pod.name, '--', 'psql', url, '-v', 'ON_ERROR_STOP=1', '-Atc', json]);
  return JSON.parse(out) as T[];
}

export interface StoredOrder {
  id: number;
  idempotency_key: string;
  product_id: number;
  quantity: number;
  status: 'pending' | 'confirmed' | 'rejected';
  reason: string | null;
  username: string;
}

export const orders = () =>
  query<StoredOrder>(
    'order-service',
    'SELECT id, idempotency_key, product_id, quantity, status, reason, username FROM orders ORDER BY id',
  );

/**
 * What breaks the promises, over the whole database (empty: all hold): stock never negative; stock taken since the
 * seed (the suite never restocks) equals the confirmed orders' quantities; each confirmed order is exactly one
 * reduction under its key and each reduction one confirmed order; nothing left pending.
 */
export async function brokenInvariants(): Promise<string[]> {
  const stored = await orders();
  const decisions = await query<{ idempotency_key: string; outcome: string }>(
    'inventory-service',
    'SELECT idempotency_key, outcome FROM stock_decisions',
  );
  const stock = await query<{ id: number; stock: number }>('inventory-service', 'SELECT id, stock FROM products');
  const broken: string[] = [];
  for (const p of stock) {
    if (Number(p.stock) < 0) broken.push(`product ${p.id}: stock ${p.stock}`);
    const seeded = SEED.find((s) => s.id === p.id)?.stock;
    const confirmed = stored
      .filter((o) => o.status === 'confirmed' && o.product_id === p.id)
      .reduce((n, o) => n + o.quantity, 0);
    if (seeded !== undefined && seeded - Number(p.stock) !== confirmed)
      broken.push(`product ${p.id}: ${seeded - Number(p.stock)} taken from stock, ${confirmed} confirmed`);
  }
  const reduced = new Set(decisions.filter((d) => d.outcome === 'reduced').map((d) => d.idempotency_key));
  const confirmedKeys = new Set(stored.filter((o) => o.status === 'confirmed').map((o) => o.idempotency_key));
  for (const k of reduced) if (!confirmedKeys.has(k)) broken.push(`key ${k}: reduced, no confirmed order`);
  for (const k of confirmedKeys) if (!reduced.has(k)) broken.push(`key ${k}: confirmed, no reduction`);
  for (const o of stored.filter((x) => x.status === 'pending')) broken.push(`order ${o.id}: still pending`);
  return broken;
}
