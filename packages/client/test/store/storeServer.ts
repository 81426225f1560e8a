// The real server on port 0 with a real SQLite file in a temporary directory, an in-memory push
// sender, and real clients whose every socket goes through a wire tap.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, from, throwError, timeout, type Observable } from 'rxjs';
import { MemoryPushSender, startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, createMemoryStorage, type ConversationsClientOptions } from '../../src/index.js';
import { createWireTap, type WireTap } from './wireTap.js';

const SECRET = 'store-against-server-secret-0123456789abcdef';

/**
 * Calls the server's admin REST API as an app's backend does, signed in with the API key (`SK1`), for
 * what only a backend does (a conversation's state, for one).
 */
export async function adminRest(server: RunningServer, path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.httpUrl}/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`SK1:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}
const IDENTITIES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'henry'] as const;

export interface Connected {
  readonly client: ConversationsClient;
  readonly wire: WireTap;
}

export interface StoreServer {
  readonly server: RunningServer;
  readonly push: MemoryPushSender;
  /** A client for `identity`, connecting at once; not yet synchronised. */
  connect(identity: string, options?: Partial<ConversationsClientOptions>): Connected;
  /** A synchronised client. */
  client(identity: string, options?: Partial<ConversationsClientOptions>): Promise<Connected>;
  close(): Promise<void>;
}

export async function startStoreServer(): Promise<StoreServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rxc-store-'));
  const push = new MemoryPushSender();
  const server = await startServer({
    port: 0,
    database: join(dir, 'chat.db'),
    keys: { SK1: SECRET },
    pushSender: push,
    // Seeding writes hundreds of conversations from one connection; rate limiting is not under test.
    rateLimit: { ratePerSecond: 100_000, burst: 100_000 },
    // Clients on a virtual clock ping only when the test moves their time.
    heartbeatIntervalMs: 30_000,
  });
  const clients: ConversationsClient[] = [];
  // Minted up front so `connect` is synchronous: a test arms wire holds before the first frame.
  const tokens = new Map<string, string>();
  for (const identity of IDENTITIES) tokens.set(identity, await createAccessToken({ identity, keyId: 'SK1', secret: SECRET }));

  const connect = (identity: string, options: Partial<ConversationsClientOptions> = {}): Connected => {
    const token = tokens.get(identity);
    if (token === undefined) throw new Error(`no token minted for ${identity}`);
    const wire = createWireTap();
    const client = new ConversationsClient(token, {
      url: server.url,
      WebSocket: wire.WebSocket,
      storage: createMemoryStorage(),
      platform: null,
      fetch: null,
      ...options,
    });
    clients.push(client);
    return { client, wire };
  };

  return {
    server,
    push,
    connect,
    async client(identity, options) {
      const connected = connect(identity, options);
      await connected.client.whenSynchronized();
      return connected;
    },
    async close() {
      await Promise.all(clients.map((c) => c.shutdown()));
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The first value of `source` that satisfies `predicate`, or a timeout error naming `what`. */
export function waitUntil<T>(source: Observable<T>, predicate: (value: T) => boolean, what: string, ms = 5_000): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(predicate),
      timeout({ first: ms, with: () => throwError(() => new Error(`timed out after ${ms} ms waiting for ${what}`)) }),
    ),
  );
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  return waitUntil(from(promise), () => true, what, ms);
}

/** The current value of a replaying observable. */
export function current<T>(source: Observable<T>): Promise<T> {
  return firstValueFrom(source);
}
