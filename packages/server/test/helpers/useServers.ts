import { afterEach } from '@jest/globals';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/index.js';
import { connectUser } from './connectUser.js';
import { KEYS } from './testKeys.js';
import type { ConnectOptions, TestClient } from './TestClient.js';

/**
 * Servers on port 0 (in-memory database unless given) and protocol clients for one spec file; an
 * `afterEach` closes them, and anything else pushed on `cleanups`, newest first.
 *
 * @example
 * const { start, connect } = useServers();
 * const server = await start({ maxBufferedBytes: 256 * 1024 });
 * const alice = await connect(server, 'alice', { lastSeq: 0 });
 */
export function useServers(): {
  readonly cleanups: Array<() => unknown>;
  start(options?: Partial<StartServerOptions>): Promise<RunningServer>;
  connect(server: RunningServer, identity: string, options?: ConnectOptions): Promise<TestClient>;
} {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    async start(options = {}) {
      const server = await startServer({ port: 0, database: ':memory:', keys: KEYS, ...options });
      cleanups.push(() => server.close());
      return server;
    },
    async connect(server, identity, options = {}) {
      const client = await connectUser(server, identity, options);
      // A server-side cut (slow consumer, expiry) may surface as a socket error; `closed` reports it.
      client.socket.on('error', () => undefined);
      cleanups.push(() => client.close());
      return client;
    },
  };
}
