import WebSocket from 'ws';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient } from '../../src/index.js';
import { createMemoryStorage } from '../../src/push/KeyValueStorage.js';

const SECRET = 'integration-test-secret-0123456789abcdef';

/** `ws`, remembering every socket so a test can cut them (a network drop, not a clean close). */
export class TrackedWebSocket extends WebSocket {
  static readonly open = new Set<TrackedWebSocket>();
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    TrackedWebSocket.open.add(this);
    this.on('close', () => TrackedWebSocket.open.delete(this));
  }
}

export interface Harness {
  readonly server: RunningServer;
  client(identity: string): Promise<ConversationsClient>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const server = await startServer({ port: 0, database: ':memory:', keys: { SK1: SECRET } });
  const clients: ConversationsClient[] = [];
  return {
    server,
    async client(identity) {
      const token = await createAccessToken({ identity, keyId: 'SK1', secret: SECRET });
      const client = new ConversationsClient(token, { url: server.url, WebSocket: TrackedWebSocket, storage: createMemoryStorage() });
      clients.push(client);
      await client.whenSynchronized();
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.shutdown()));
      await server.close();
    },
  };
}

/** The first value of `source` that satisfies `predicate`, or a timeout error. */
export function waitFor<T>(source: Observable<T>, predicate: (value: T) => boolean, ms = 5_000): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate), timeout(ms)));
}
