import { AddressInfo, connect, createServer, Socket } from 'node:net';

/** A TCP proxy to PostgreSQL that a test can cut (the database then looks unreachable) and restore. */
export interface CuttableProxy {
  /** TEST_DATABASE_URL's database `databaseUrl`, reached through the proxy. */
  route(databaseUrl: string): string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): void;
}

export async function cuttableProxy(serverUrl: string): Promise<CuttableProxy> {
  const target = new URL(serverUrl);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    route(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        dropAll();
      }),
    restore: () => new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve)),
    close() {
      proxy.close();
      dropAll();
    },
  };
}
