import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A real TCP proxy in front of PostgreSQL, so a test can cut the network for real (listener closed,
 * every live connection destroyed → ECONNRESET / ECONNREFUSED) and then restore it on the same port.
 */
export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  /** The network hangs: bytes are swallowed in both directions (no reset, no answer). */
  stall(): void;
  unstall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const handler = (client: Socket) => {
    const upstream = createConnection(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => {
      if (!stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!stalled) client.write(chunk);
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };
  return {
    port,
    cut: stop,
    stall: () => {
      stalled = true;
    },
    unstall: () => {
      stalled = false;
    },
    async restore() {
      server = createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
    },
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
