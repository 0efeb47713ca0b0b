import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a server, which can be told to go silent: it keeps every connection and
 * accepts new ones, but forwards nothing either way, as a network that drops packets (no refusal, no reset).
 */
export class TcpProxy {
  private silent = false;
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((client) => {
    const upstream = createConnection(this.targetPort, this.targetHost);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk) => {
        if (!this.silent) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  });

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drops everything from now on (bytes read and discarded), without closing anything. */
  goSilent(): void {
    this.silent = true;
  }

  /** Forwards again; connections that lost bytes while silent are broken for good, new ones work. */
  resume(): void {
    this.silent = false;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
