import net, { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of a server (PostgreSQL in the fault tests) that can take the
 * server away as a restart does: every open connection is cut and new ones are refused, until
 * it is restored on the same port. The real server, shared with other tests, is never touched.
 */
export class TcpProxy {
  port = 0;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }) {
    const proxy = new TcpProxy(target);
    await proxy.listen();
    return proxy;
  }

  /** Whether the server is reachable through the proxy. */
  get up(): boolean {
    return this.server !== undefined;
  }

  /** Cuts every connection and refuses new ones (the port is closed) until `restore`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.sockets.forEach(socket => socket.destroy());
    this.sockets.clear();
    if (server) {
      await new Promise(resolve => server.close(resolve));
    }
  }

  async restore(): Promise<void> {
    if (!this.server) {
      await this.listen();
    }
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private async listen() {
    const server = net.createServer(client => {
      const upstream = net.connect(this.target);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(from);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.pipe(to);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
}
