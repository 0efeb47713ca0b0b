// A stand-in for the network between order-service and inventory-service: a loopback HTTP proxy in front of the
// real inventory-service that holds each POST /reduce-stock until its policy lets it go on, so a test plays a race
// in the order it chooses. It can also make order-service see a timeout (a 504, which order-service treats as it
// treats its own timeout: no answer) while the request reaches inventory-service before, after, or never.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Call {
  /** Arrival order at the gate, from 0. */
  n: number;
  key: string;
  product_id: number;
  quantity: number;
}

export interface Reply {
  status: number;
  body: { stock?: number; replayed?: boolean; error?: { code: string; replayed?: boolean } };
}

/** What becomes of a call once it may go on. */
export type Fate =
  | 'answered' // reaches inventory-service, and its answer reaches order-service
  | 'lost' // reaches inventory-service, but order-service sees a timeout instead of the answer
  | 'late' // order-service sees a timeout first; the request reaches inventory-service afterwards
  | 'dropped'; // order-service sees a timeout; the request never reaches inventory-service

export interface GatePolicy {
  /** Resolves with the call's fate when it may go on. */
  arrive(call: Call): Promise<Fate>;
  /** Resolves when inventory's answer to an 'answered' call may go back to order-service. */
  answer(call: Call, reply: Reply): Promise<void>;
  /** Makes a 'late' call reach inventory-service (`deliver`) when the policy says so. */
  late(call: Call, deliver: () => Promise<Reply>): Promise<unknown>;
}

const TIMEOUT: Reply = { status: 504, body: { error: { code: 'gateway_timeout' } } };

export class InventoryGate {
  /** Every answer inventory-service gave to a /reduce-stock through the gate, by idempotency key. */
  readonly replies = new Map<string, Reply[]>();
  /** Late deliveries still under way (they have no caller waiting for them). */
  readonly lateDeliveries: Promise<unknown>[] = [];
  private calls = 0;
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((err: Error) =>
      write(res, { status: 502, body: { error: { code: `gate: ${err.message}` } } }),
    );
  });

  private constructor(
    private readonly inventoryUrl: string,
    private readonly policy: GatePolicy,
  ) {}

  static async start(inventoryUrl: string, policy: GatePolicy): Promise<InventoryGate> {
    const gate = new InventoryGate(inventoryUrl, policy);
    gate.server.listen(0, '127.0.0.1');
    await once(gate.server, 'listening');
    return gate;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.lateDeliveries);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const key = req.headers['idempotency-key'];
    const forward = () => this.forward(req.method!, req.url!, body, typeof key === 'string' ? key : undefined);
    if (req.method !== 'POST' || !req.url!.startsWith('/reduce-stock') || typeof key !== 'string') {
      write(res, await forward());
      return;
    }
    const { product_id, quantity } = JSON.parse(body) as { product_id: number; quantity: number };
    const call: Call = { n: this.calls++, key, product_id, quantity };
    const fate = await this.policy.arrive(call);
    if (fate === 'answered') {
      const reply = await forward();
      await this.policy.answer(call, reply);
      write(res, reply);
      return;
    }
    if (fate === 'lost') await forward();
    write(res, TIMEOUT);
    if (fate === 'late') this.lateDeliveries.push(this.policy.late(call, forward));
  }

  private async forward(method: string, path: string, body: string, key?: string): Promise<Reply> {
    const res = await fetch(`${this.inventoryUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    });
    const reply: Reply = { status: res.status, body: (await res.json()) as Reply['body'] };
    if (key && path.startsWith('/reduce-stock')) this.replies.set(key, [...(this.replies.get(key) ?? []), reply]);
    return reply;
  }
}

function write(res: ServerResponse, reply: Reply): void {
  // order-service may have given up on this call already (its own timeout): then there is no one to answer.
  if (res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
}

/** A policy for tests that play one race by hand: each call waits until the test lets it through. */
export class HeldCalls implements GatePolicy {
  private readonly held: { call: Call; go: (fate: Fate) => void }[] = [];
  private readonly answered = new Map<number, (reply: Reply) => void>();
  private arrivals: (() => void)[] = [];
  private opened = false;

  arrive(call: Call): Promise<Fate> {
    if (this.opened) return Promise.resolve('answered');
    const fate = new Promise<Fate>((go) => this.held.push({ call, go }));
    for (const notify of this.arrivals.splice(0)) notify();
    return fate;
  }

  answer(call: Call, reply: Reply): Promise<void> {
    this.answered.get(call.n)?.(reply);
    return Promise.resolve();
  }

  late(_call: Call, deliver: () => Promise<Reply>): Promise<unknown> {
    return deliver();
  }

  /** Resolves once `count` calls have arrived (they stay held). */
  async arrived(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.held.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.held.length} calls reached the gate, expected ${count}`);
      await new Promise<void>((resolve) => {
        this.arrivals.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Lets call `n` reach inventory-service; resolves with inventory's answer once it went back to order-service. */
  release(n: number): Promise<Reply> {
    const entry = this.held.find((h) => h.call.n === n);
    if (!entry) throw new Error(`call ${n} is not held`);
    const reply = new Promise<Reply>((resolve) => this.answered.set(n, resolve));
    entry.go('answered');
    return reply;
  }

  /** From now on, every call goes straight through (held ones too). */
  open(): void {
    this.opened = true;
    for (const { go } of this.held) go('answered');
  }
}
