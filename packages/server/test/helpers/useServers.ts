import { afterEach } from '@jest/globals';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/index.js';
import { connectUser } from './connectUser.js';
import { createTestDatabase } from './pgDatabase.js';
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
      // RXC_TEST_STORE=postgres runs the same suites on PostgreSQL, each server on a database of its own
      // (CORE-1: one behaviour on every store).
      let database = ':memory:';
      if (process.env['RXC_TEST_STORE'] === 'postgres' && options.database === undefined) {
        const created = await createTestDatabase();
        cleanups.push(() => created.drop());
        database = created.url;
      }
      const server = await startServer({ port: 0, database, keys: KEYS, ...options });
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
