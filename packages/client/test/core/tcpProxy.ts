// A TCP proxy between client and server that a test can use to cut connections, refuse new ones, or
// make existing ones silently half-open (nothing forwarded either way, nothing closed).
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  stalled: boolean;
}

export interface TcpProxy {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** Destroys every current connection (both sides see a reset). */
  cutAll(): void;
  /** Stops forwarding on every current connection, both ways, without closing anything. */
  stallAll(): void;
  /** While true, new connections are destroyed at once. */
  refuse: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, stalled: false };
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (!pair.stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.stalled) client.write(chunk);
    });
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const proxy: TcpProxy = {
    url: `ws://127.0.0.1:${address.port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    refuse: false,
    cutAll() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      }
    },
    stallAll() {
      for (const pair of pairs) pair.stalled = true;
    },
    close() {
      proxy.cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
