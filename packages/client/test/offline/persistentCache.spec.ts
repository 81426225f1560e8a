// OFFLINE-1 and OFFLINE-2 against the real server: a client restarted on the same Node file cache
// shows what it held before the socket opens, flagged as cached, then resumes from the cached
// position (no full synchronisation) and receives what happened while it was away exactly once. An
// old schema is discarded, a position older than the server's retention falls back to a full
// synchronisation that replaces the cache, `shutdown({ clearCache: true })` wipes it, and sends made
// while the server was unreachable survive a restart and go out exactly once, in order.
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { filter, firstValueFrom } from 'rxjs';
import { MemoryPushSender, startServer, type RunningServer, type StartServerOptions } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, createMemoryStorage, type Conversation, type Logger, type MessageView } from '../../src/index.js';
import { filePersistence } from '../../src/persistence-node.js';
import { CACHE_SCHEMA_VERSION } from '../../src/persistence.js';
import { createWireTap, type WireTap } from '../store/wireTap.js';
import { startTcpProxy, type TcpProxy } from '../core/tcpProxy.js';
import { waitUntil, within } from '../store/storeServer.js';

const SECRET = 'offline-cache-secret-0123456789abcdef';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Env {
  readonly server: RunningServer;
  readonly cacheDir: string;
  /** A client of `identity`; with `cached`, on the file cache (`url` defaults to the server's). */
  open(identity: string, options?: { cached?: boolean; url?: string }): Opened;
}

interface Opened {
  readonly client: ConversationsClient;
  readonly wire: WireTap;
  readonly warnings: string[];
}

async function startEnv(options: Partial<StartServerOptions> = {}): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'rxc-offline-'));
  const server = await startServer({
    port: 0,
    database: join(dir, 'chat.db'),
    keys: { SK1: SECRET },
    pushSender: new MemoryPushSender(),
    rateLimit: { ratePerSecond: 100_000, burst: 100_000 },
    heartbeatIntervalMs: 30_000,
    ...options,
  });
  const clients: ConversationsClient[] = [];
  const tokens = new Map<string, string>();
  for (const identity of ['alice', 'bob']) tokens.set(identity, await createAccessToken({ identity, keyId: 'SK1', secret: SECRET }));
  cleanup.push(async () => {
    await Promise.all(clients.map((c) => c.shutdown()));
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const cacheDir = join(dir, 'cache');
  return {
    server,
    cacheDir,
    open(identity, { cached = true, url = server.url } = {}) {
      const wire = createWireTap();
      const warnings: string[] = [];
      const quiet = () => undefined;
      const logger: Logger = { error: quiet, warn: (message) => warnings.push(message), info: quiet, debug: quiet, trace: quiet };
      const client = new ConversationsClient(tokens.get(identity)!, {
        url,
        WebSocket: wire.WebSocket,
        storage: createMemoryStorage(),
        platform: null,
        fetch: null,
        logger,
        reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
        ...(cached ? { persistence: filePersistence(cacheDir) } : {}),
      });
      clients.push(client);
      return { client, wire, warnings };
    },
  };
}

const bodies = (list: readonly MessageView[]) => list.map((m) => m.body);
const names = (list: readonly Conversation[]) => list.map((c) => c.friendlyName);
const welcomeOf = (wire: WireTap) => wire.received.find((f) => f.type === 'welcome') as { resume: string } | undefined;

/** Alice with one conversation shared with bob holding m0..m4, whose window she looked at; then shut down (the cache is written). */
async function aliceLeavesWithACache(env: Env): Promise<{ sid: string; bob: ConversationsClient }> {
  const { client: alice } = env.open('alice');
  await alice.whenSynchronized();
  const conversation = await alice.createConversation({ friendlyName: 'kept' });
  await conversation.add('bob');
  for (let i = 0; i < 5; i++) await conversation.sendMessage(`m${i}`);
  await waitUntil(conversation.messages$, (l) => l.length === 5 && l.every((m) => m.status === 'sent'), 'her five messages');
  await alice.shutdown();
  const { client: bob } = env.open('bob', { cached: false });
  await bob.whenSynchronized();
  return { sid: conversation.sid, bob };
}

describe('the persistent cache across a restart (OFFLINE-1, PERF-11)', () => {
  it('OFFLINE-1: a restarted client shows its conversations, user and newest messages before the socket opens, flagged as cached', async () => {
    const env = await startEnv();
    const { sid } = await aliceLeavesWithACache(env);

    const { client: alice, wire } = env.open('alice');
    // The first non-empty list arrives before the server said anything on the new socket.
    const first = await within(firstValueFrom(alice.conversations$.pipe(filter((l) => l.length > 0))), 'the cached list', 2_000);
    expect(wire.received).toEqual([]);
    expect(names(first)).toEqual(['kept']);
    expect(await firstValueFrom(alice.cached$)).toBe(true);
    expect((await firstValueFrom(alice.user$)).identity).toBe('alice');
    const shown = await firstValueFrom(alice.conversation(sid).messages$);
    expect(bodies(shown)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(wire.received).toEqual([]);

    await alice.whenSynchronized();
    expect(await firstValueFrom(alice.cached$)).toBe(false);
  });

  it('OFFLINE-1: it resumes from the cached position with no full synchronisation; what happened while away arrives exactly once', async () => {
    const env = await startEnv();
    const { sid, bob } = await aliceLeavesWithACache(env);
    // While alice is away: three messages in the kept conversation, and a new conversation with her.
    const kept = bob.conversation(sid);
    for (const body of ['away 1', 'away 2', 'away 3']) await kept.sendMessage(body);
    const fresh = await bob.createConversation({ friendlyName: 'new while away' });
    await fresh.add('alice');

    const { client: alice, wire } = env.open('alice');
    const seen: (readonly MessageView[])[] = [];
    alice.conversation(sid).messages$.subscribe((l) => seen.push(l));
    await alice.whenSynchronized();
    const all = await waitUntil(alice.conversation(sid).messages$, (l) => l.length === 8, 'the three messages sent while away');
    expect(bodies(all)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'away 1', 'away 2', 'away 3']);
    await waitUntil(alice.conversations$, (l) => l.length === 2, 'the conversation created while away');

    expect(welcomeOf(wire)?.resume).toBe('resumed');
    expect(wire.count('conversations.list')).toBe(0);
    expect(wire.count('messages.list')).toBe(0);
    // Exactly once: no emission ever held a message twice, and each arrived in order.
    for (const list of seen) expect(new Set(list.map((m) => m.index)).size).toBe(list.length);
    // The cached five first, then the replay on top: the window never shrank or flickered back.
    const lengths = seen.map((l) => l.length).filter((n) => n > 0);
    expect(lengths[0]).toBe(5);
    expect(lengths).toEqual([...lengths].sort((x, y) => x - y));
    expect(lengths.at(-1)).toBe(8);
  });

  it('OFFLINE-1: a position older than the server keeps falls back to a full synchronisation that replaces the cache', async () => {
    const env = await startEnv({ retention: { maxEvents: 3 } });
    const { client: bob } = env.open('bob', { cached: false });
    const { client: alice } = env.open('alice');
    await Promise.all([alice.whenSynchronized(), bob.whenSynchronized()]);
    const kept = await bob.createConversation({ friendlyName: 'kept' });
    await kept.add('alice');
    const gone = await bob.createConversation({ friendlyName: 'gone' });
    await gone.add('alice');
    await kept.sendMessage('before');
    await waitUntil(alice.conversations$, (l) => l.length === 2, 'both conversations');
    await waitUntil(alice.conversation(kept.sid).messages$, (l) => l.length === 1, 'the first message');
    await alice.shutdown();
    // While alice is away: she is removed from one, and more happens than the server's log keeps.
    await gone.removeParticipant('alice');
    for (let i = 0; i < 5; i++) await kept.sendMessage(`late ${i}`);

    const { client: again, wire } = env.open('alice');
    // Looked at from the start, as a page shows it: the window must come back after the fallback.
    const seen: (readonly MessageView[])[] = [];
    again.conversation(kept.sid).messages$.subscribe((l) => seen.push(l));
    const first = await within(firstValueFrom(again.conversations$.pipe(filter((l) => l.length > 0))), 'the cached list', 2_000);
    expect(names(first).sort()).toEqual(['gone', 'kept']);
    expect(bodies(seen.at(-1)!)).toEqual(['before']);
    await again.whenSynchronized();
    expect(welcomeOf(wire)?.resume).toBe('resync');
    expect(wire.count('conversations.list')).toBeGreaterThan(0);
    expect(names(await firstValueFrom(again.conversations$))).toEqual(['kept']);
    expect(await firstValueFrom(again.cached$)).toBe(false);
    const shown = await waitUntil(again.conversation(kept.sid).messages$, (l) => l.length === 6, 'the re-read window');
    expect(bodies(shown)).toEqual(['before', 'late 0', 'late 1', 'late 2', 'late 3', 'late 4']);
  });

  it('OFFLINE-1: a cache of an older schema version is discarded with a warning, not read', async () => {
    const env = await startEnv();
    await aliceLeavesWithACache(env);
    const [file] = await readdir(env.cacheDir);
    const path = join(env.cacheDir, file!);
    const stored = JSON.parse(await readFile(path, 'utf8')) as { v: number };
    expect(stored.v).toBe(CACHE_SCHEMA_VERSION);
    await writeFile(path, JSON.stringify({ ...stored, v: CACHE_SCHEMA_VERSION - 1 }), 'utf8');

    const { client: alice, wire, warnings } = env.open('alice');
    expect(await firstValueFrom(alice.cached$)).toBe(false);
    await alice.whenSynchronized();
    expect(warnings.some((w) => w.includes('schema version'))).toBe(true);
    expect(welcomeOf(wire)?.resume).toBe('fresh');
    expect(wire.count('conversations.list')).toBeGreaterThan(0);
    expect(names(await firstValueFrom(alice.conversations$))).toEqual(['kept']);
  });

  it('OFFLINE-1: a corrupt cache is ignored with a warning, never thrown', async () => {
    const env = await startEnv();
    await aliceLeavesWithACache(env);
    const [file] = await readdir(env.cacheDir);
    await writeFile(join(env.cacheDir, file!), '{"v": 1, "identity": "alice", "url', 'utf8');
    const { client: alice, warnings } = env.open('alice');
    await alice.whenSynchronized();
    expect(warnings.some((w) => w.includes('not JSON'))).toBe(true);
    expect(names(await firstValueFrom(alice.conversations$))).toEqual(['kept']);
  });

  it('OFFLINE-1: shutdown({ clearCache: true }) wipes the cache: the next start is a cold one', async () => {
    const env = await startEnv();
    await aliceLeavesWithACache(env);
    const { client: alice } = env.open('alice');
    await alice.whenSynchronized();
    await alice.shutdown({ clearCache: true });
    expect(await readdir(env.cacheDir)).toEqual([]);

    const { client: again, wire } = env.open('alice');
    expect(await firstValueFrom(again.conversations$)).toEqual([]);
    expect(await firstValueFrom(again.cached$)).toBe(false);
    await again.whenSynchronized();
    expect(welcomeOf(wire)?.resume).toBe('fresh');
  });

  it('OFFLINE-1: the cache is per identity: bob on the same directory starts cold beside alice’s cache', async () => {
    const env = await startEnv();
    await aliceLeavesWithACache(env);
    const { client: bob, wire } = env.open('bob');
    expect(await firstValueFrom(bob.cached$)).toBe(false);
    expect(await firstValueFrom(bob.conversations$)).toEqual([]);
    await bob.whenSynchronized();
    expect(welcomeOf(wire)?.resume).toBe('fresh');
    await bob.shutdown();
    const files = await readdir(env.cacheDir);
    const owners = await Promise.all(files.map(async (f) => (JSON.parse(await readFile(join(env.cacheDir, f), 'utf8')) as { identity: string }).identity));
    expect(owners.sort()).toEqual(['alice', 'bob']);
  });
});

/** {@link aliceLeavesWithACache} behind a TCP relay that now refuses every connection: alice's next clients start offline. */
async function offlineAfterACache(): Promise<{ env: Env; proxy: TcpProxy; sid: string; bob: ConversationsClient }> {
  const env = await startEnv();
  const proxy = await startTcpProxy(env.server.port);
  cleanup.push(() => proxy.close());
  const { sid, bob } = await aliceLeavesWithACache(env);
  proxy.refuse = true;
  return { env, proxy, sid, bob };
}

describe('the persistent outbox (OFFLINE-2)', () => {
  it('OFFLINE-2: sends made while the server is unreachable survive a restart and go out exactly once, in order', async () => {
    const { env, proxy, sid, bob } = await offlineAfterACache();
    const { client: offline } = env.open('alice', { url: proxy.url });
    const conversation = offline.conversation(sid);
    for (const body of ['queued 1', 'queued 2', 'queued 3']) void conversation.sendMessage(body).catch(() => undefined);
    const queued = await waitUntil(conversation.messages$, (l) => l.filter((m) => m.status === 'sending').length === 3, 'three queued sends');
    expect(bodies(queued).slice(-3)).toEqual(['queued 1', 'queued 2', 'queued 3']);
    await offline.shutdown();

    proxy.refuse = false;
    const { client: back } = env.open('alice', { url: proxy.url });
    // The restored sends show at once, still sending.
    const restored = await within(firstValueFrom(back.conversation(sid).messages$.pipe(filter((l) => l.length === 8))), 'the restored outbox', 2_000);
    expect(bodies(restored).slice(-3)).toEqual(['queued 1', 'queued 2', 'queued 3']);
    await waitUntil(back.conversation(sid).messages$, (l) => l.length === 8 && l.every((m) => m.status === 'sent'), 'the outbox sent');

    const onServer = await waitUntil(bob.conversation(sid).messages$, (l) => l.length >= 8, 'the sends on the server');
    expect(bodies(onServer)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'queued 1', 'queued 2', 'queued 3']);
    // After the outbox emptied, another restart sends nothing again.
    await back.shutdown();
    const { client: third, wire } = env.open('alice', { url: proxy.url });
    await third.whenSynchronized();
    expect(wire.count('messages.send')).toBe(0);
  });

  it('OFFLINE-2: two clients of one identity on one cache directory (two processes, two tabs) both queue sends offline; whichever closes last, the next start sends all of them once, each client’s in order', async () => {
    const { env, proxy, sid, bob } = await offlineAfterACache();
    const first = env.open('alice', { url: proxy.url }).client;
    const second = env.open('alice', { url: proxy.url }).client;
    for (const [client, body] of [[first, 'first 1'], [second, 'second 1'], [first, 'first 2']] as const) {
      void client.conversation(sid).sendMessage(body).catch(() => undefined);
    }
    await waitUntil(first.conversation(sid).messages$, (l) => l.filter((m) => m.status === 'sending').length === 2, 'two sends queued by the first');
    await waitUntil(second.conversation(sid).messages$, (l) => l.filter((m) => m.status === 'sending').length === 1, 'one send queued by the second');
    // The first closes, then the second writes its snapshot after it: each kept its own outbox.
    await first.shutdown();
    await second.shutdown();
    expect((await readdir(env.cacheDir)).filter((f) => f.includes('outbox'))).toHaveLength(2);

    proxy.refuse = false;
    const { client: back, wire } = env.open('alice', { url: proxy.url });
    await waitUntil(back.conversation(sid).messages$, (l) => l.length === 8 && l.every((m) => m.status === 'sent'), 'every queued send sent');
    expect(wire.count('messages.send')).toBe(3);
    const onServer = await waitUntil(bob.conversation(sid).messages$, (l) => l.length >= 8, 'the sends on the server');
    // Each client's sends in its order; between clients, by when each was queued (the same millisecond here).
    const queued = bodies(onServer).slice(5);
    expect([...queued].sort()).toEqual(['first 1', 'first 2', 'second 1']);
    expect(queued.filter((b) => b?.startsWith('first'))).toEqual(['first 1', 'first 2']);
    // Once sent, no outbox is left for a later start.
    await back.shutdown();
    expect((await readdir(env.cacheDir)).filter((f) => f.includes('outbox'))).toEqual([]);
  });

  it('OFFLINE-2: a send the server took whose reply was lost goes out again with its idempotency key after a restart, and lands once', async () => {
    const env = await startEnv();
    const { sid, bob } = await aliceLeavesWithACache(env);
    const { client: alice, wire } = env.open('alice');
    await alice.whenSynchronized();
    const held = wire.holdInboundAfter((r) => r.op === 'messages.send');
    void alice.conversation(sid).sendMessage('reply lost').catch(() => undefined);
    await held.until((f) => f.type === 'res');
    // The server stored it; the reply never reaches the client, which shuts down with the send pending.
    await alice.shutdown();

    const { client: back, wire: wireBack } = env.open('alice');
    await waitUntil(back.conversation(sid).messages$, (l) => l.length === 6 && l.every((m) => m.status === 'sent'), 'the resent message');
    expect(wireBack.count('messages.send')).toBe(1);
    const onServer = await waitUntil(bob.conversation(sid).messages$, (l) => l.length >= 6, 'the message on the server');
    expect(bodies(onServer)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'reply lost']);
  });
});
