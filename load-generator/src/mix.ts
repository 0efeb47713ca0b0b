/** One kind of request of the demo mix, with its share of the traffic. */
export interface Action {
  name: string;
  weight: number;
  method: 'GET' | 'POST';
  path: string;
  body?: () => Record<string, unknown>;
}

const USERS = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances'];
const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;
const int = (min: number, max: number, random: () => number) => min + Math.floor(random() * (max - min + 1));

/** Mostly browsing and good orders, with some unknown products and some orders larger than any stock. */
export function demoMix(random: () => number = Math.random): Action[] {
  return [
    { name: 'list-products', weight: 35, method: 'GET', path: '/list-products' },
    { name: 'list-orders', weight: 10, method: 'GET', path: '/list-orders?limit=20' },
    {
      name: 'order',
      weight: 43,
      method: 'POST',
      path: '/order-product',
      body: () => ({ username: pick(USERS, random), product_id: int(1, 5, random), quantity: int(1, 3, random) }),
    },
    {
      name: 'order-unknown-product',
      weight: 6,
      method: 'POST',
      path: '/order-product',
      body: () => ({ username: pick(USERS, random), product_id: int(100, 120, random), quantity: 1 }),
    },
    {
      name: 'order-out-of-stock',
      weight: 6,
      method: 'POST',
      path: '/order-product',
      body: () => ({ username: pick(USERS, random), product_id: int(1, 5, random), quantity: 900 }),
    },
  ];
}

/** Draws an action with probability proportional to its weight. */
export function choose(mix: readonly Action[], random: () => number = Math.random): Action {
  const total = mix.reduce((sum, a) => sum + a.weight, 0);
  let point = random() * total;
  for (const action of mix) {
    point -= action.weight;
    if (point < 0) return action;
  }
  return mix[mix.length - 1]!;
}

/** How many units bring each low product back to `target`. */
export function restockPlan(
  products: readonly { id: number; stock: number }[],
  below: number,
  target: number,
): { product_id: number; quantity: number }[] {
  return products.filter((p) => p.stock < below).map((p) => ({ product_id: p.id, quantity: target - p.stock }));
}
