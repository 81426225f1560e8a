import { describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { useFakeSessions } from '../../test/fakeSessions.js';
import { conv, msg, user } from '../../test/fixtures.js';
import type { PersistenceStorage } from './PersistenceStorage.js';
import { storagePersistence } from './storagePersistence.js';
import { CACHE_SCHEMA_VERSION, type CacheSnapshot } from './cacheSnapshot.js';

const URL = 'ws://chat.test';
const KEY = `rx-conversations:alice@${URL}`;

/** A storage in memory that counts writes; with `listing`, it also lists keys (as the bundled adapters do). */
function memoryStorage(initial?: CacheSnapshot | string, { listing = false } = {}) {
  const data = new Map<string, string>();
  if (initial !== undefined) data.set(KEY, typeof initial === 'string' ? initial : JSON.stringify(initial));
  const writes: CacheSnapshot[] = [];
  const storage: PersistenceStorage = {
    read: async (key) => data.get(key) ?? null,
    write: async (key, value) => {
      data.set(key, value);
      writes.push(JSON.parse(value) as CacheSnapshot);
    },
    remove: async (key) => {
      data.delete(key);
    },
    ...(listing && { keys: async (prefix: string) => [...data.keys()].filter((k) => k.startsWith(prefix)) }),
  };
  /** What is stored under the outbox keys, by key. */
  const outboxes = () => new Map([...data].filter(([k]) => k.startsWith(`${KEY}#outbox:`)).map(([k, v]) => [k, (JSON.parse(v) as CacheSnapshot).outbox]));
  return { storage, writes, data, outboxes };
}

const entry = (idempotencyKey: string, createdAt: number, conversationSid = 'c1') => ({
  kind: 'message' as const, conversationSid, idempotencyKey, author: 'alice', body: `body ${idempotencyKey}`, attributes: {}, createdAt,
});

const snapshot = (over: Partial<CacheSnapshot> = {}): CacheSnapshot => ({
  v: CACHE_SCHEMA_VERSION,
  identity: 'alice',
  url: URL,
  cache: {
    position: 40,
    user: user('alice', { friendlyName: 'Alice' }),
    conversations: [conv('c2', { lastMessageAt: 2_000 }), conv('c1', { lastMessageAt: 1_000 })],
    windows: [{ sid: 'c1', messages: [msg('c1', 0), msg('c1', 1)], hasOlder: false }],
  },
  outbox: [],
  ...over,
});

const listPage = { items: [conv('c1')], nextCursor: null, asOfSeq: 0 };

describe('storagePersistence (OFFLINE-1, OFFLINE-2)', () => {
  const { setup, record } = useFakeSessions();

  /** A synchronised client on `storage` that sent 'hello' to c1; the send stays open until `acknowledge()`. */
  async function sendHeldOpen(storage: PersistenceStorage) {
    let acknowledge: () => void = () => undefined;
    const { core, client, clock } = setup((op, args) => {
      if (op === 'conversations.list') return listPage;
      if (op === 'messages.send') return new Promise((resolve) => (acknowledge = () => resolve(msg('c1', 0, { author: 'alice', body: args.body, idempotencyKey: args.idempotencyKey }))));
      return null;
    }, { url: URL, persistence: storagePersistence(storage, { writeDelayMs: 60_000 }) });
    await clock.tick(0);
    core.welcome('fresh');
    await client.whenSynchronized();
    void client.conversation('c1').sendMessage('hello');
    await clock.tick(0);
    const key = (core.callsOf('messages.send')[0]!.args as { idempotencyKey: string }).idempotencyKey;
    return { key, acknowledge: () => acknowledge(), clock };
  }

  it('OFFLINE-1: restores the cache before any session, flagged cached; a resumed session confirms it without reading the list', async () => {
    const { storage } = memoryStorage(snapshot());
    const { core, client, clock } = setup(() => null, { url: URL, persistence: storagePersistence(storage) });
    const cached = record(client.cached$);
    const statuses = record(client.synchronization$);
    await clock.tick(0);
    expect(await core.resumedFrom).toBe(40);
    expect((await firstValueFrom(client.conversations$)).map((c) => c.sid)).toEqual(['c2', 'c1']);
    expect((await firstValueFrom(client.user$)).friendlyName).toBe('Alice');
    expect((await firstValueFrom(client.conversation('c1').messages$)).map((m) => m.index)).toEqual([0, 1]);
    expect(cached).toEqual([false, true]);

    core.welcome('resumed');
    expect(cached).toEqual([false, true, false]);
    expect(statuses).toEqual(['started', 'completed']);
    expect(core.callsOf('conversations.list')).toHaveLength(0);
    expect(core.callsOf('messages.list')).toHaveLength(0);
  });

  it('OFFLINE-1: a session that could not resume drops the cache and synchronises afresh (never a mix)', async () => {
    const { storage } = memoryStorage(snapshot());
    const { core, client, clock } = setup((op) => (op === 'conversations.list' ? listPage : null), { url: URL, persistence: storagePersistence(storage) });
    await clock.tick(0);
    core.welcome('resync');
    await client.whenSynchronized();
    expect((await firstValueFrom(client.conversations$)).map((c) => c.sid)).toEqual(['c1']);
    expect(await firstValueFrom(client.cached$)).toBe(false);
  });

  it('OFFLINE-1: changes are written in one batch per delay, off the path of events', async () => {
    const { storage, writes } = memoryStorage();
    const { core, client, clock } = setup((op) => (op === 'conversations.list' ? listPage : null), { url: URL, persistence: storagePersistence(storage, { writeDelayMs: 1_000 }) });
    await clock.tick(0);
    core.welcome('fresh');
    await client.whenSynchronized();
    await clock.tick(1_000);
    const before = writes.length;
    for (let i = 0; i < 100; i++) core.emit({ kind: 'messageAdded', data: { message: msg('c1', i) } });
    await clock.tick(999);
    expect(writes.length).toBe(before);
    await clock.tick(1);
    expect(writes.length).toBe(before + 1);
    expect(writes.at(-1)!.cache!.position).toBe(core.headSeq);
  });

  it('OFFLINE-2: a queued send is written at once, with its idempotency key, and leaves the outbox once acknowledged', async () => {
    const { storage, writes } = memoryStorage();
    const { key, acknowledge, clock } = await sendHeldOpen(storage);
    expect(writes.at(-1)!.outbox).toEqual([expect.objectContaining({ kind: 'message', conversationSid: 'c1', body: 'hello', idempotencyKey: key })]);
    acknowledge();
    await clock.tick(0);
    expect(writes.at(-1)!.outbox).toEqual([]);
  });

  it('OFFLINE-2: a restored outbox is sent again in order with the stored idempotency keys', async () => {
    const outbox = ['k1', 'k2', 'k3'].map((idempotencyKey, i) => ({
      kind: 'message' as const, conversationSid: 'c1', idempotencyKey, author: 'alice', body: `b${i}`, attributes: {}, createdAt: i,
    }));
    const { storage } = memoryStorage(snapshot({ outbox }));
    const { core, clock } = setup(() => new Promise(() => undefined), { url: URL, persistence: storagePersistence(storage) });
    await clock.tick(0);
    expect(core.callsOf('messages.send').map((c) => c.args)).toEqual(outbox.map((o) => expect.objectContaining({ sid: 'c1', body: o.body, idempotencyKey: o.idempotencyKey })));
  });

  it('OFFLINE-2: on a storage that lists keys, each client keeps its outbox under a key of its own; the shared snapshot holds none', async () => {
    const { storage, data, outboxes } = memoryStorage(undefined, { listing: true });
    const { key, acknowledge, clock } = await sendHeldOpen(storage);
    expect([...outboxes().values()]).toEqual([[expect.objectContaining({ body: 'hello', idempotencyKey: key })]]);
    expect((JSON.parse(data.get(KEY)!) as CacheSnapshot).outbox).toEqual([]);
    acknowledge();
    await clock.tick(0);
    expect(outboxes().size).toBe(0);
  });

  it('OFFLINE-2: a client takes over every outbox left on the storage (other tabs, an older snapshot): each send once, in send order, then only its own key holds them', async () => {
    const { storage, data, outboxes } = memoryStorage(snapshot({ outbox: [entry('k2', 2)] }), { listing: true });
    const left = (outbox: ReturnType<typeof entry>[]) => JSON.stringify({ ...snapshot({ outbox }), cache: null });
    data.set(`${KEY}#outbox:tab-a`, left([entry('k1', 1), entry('k4', 4)]));
    // Two tabs that both held k3 (one took it over from the other): it goes out once.
    data.set(`${KEY}#outbox:tab-b`, left([entry('k3', 3), entry('k5', 5, 'c2')]));
    data.set(`${KEY}#outbox:tab-c`, left([entry('k3', 3)]));
    const { core, clock } = setup(() => new Promise(() => undefined), { url: URL, persistence: storagePersistence(storage, { writeDelayMs: 60_000 }) });
    await clock.tick(0);
    expect(core.callsOf('messages.send').map((c) => (c.args as { idempotencyKey: string }).idempotencyKey)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    await clock.tick(0);
    const stored = [...outboxes()];
    expect(stored).toHaveLength(1);
    expect(stored[0]![0]).not.toMatch(/#outbox:tab-[abc]$/);
    expect(stored[0]![1].map((e) => e.idempotencyKey)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    expect((JSON.parse(data.get(KEY)!) as CacheSnapshot).outbox).toEqual([]);
  });

  it('OFFLINE-2: an outbox taken over is left in place when its client, still running, wrote it again meanwhile; a client shutting down writes its outbox again even if unchanged', async () => {
    const { storage, data, outboxes } = memoryStorage(undefined, { listing: true });
    const left = (outbox: ReturnType<typeof entry>[]) => JSON.stringify({ ...snapshot({ outbox }), cache: null });
    data.set(`${KEY}#outbox:live`, left([entry('k1', 1)]));
    // The tab that owns it queues another send right after this client read it.
    const read = storage.read;
    let owner = true;
    storage.read = async (key) => {
      const text = await read(key);
      if (owner && key.endsWith('#outbox:live')) {
        owner = false;
        data.set(key, left([entry('k1', 1), entry('k2', 2)]));
      }
      return text;
    };
    const { core, client, clock } = setup(() => new Promise(() => undefined), { url: URL, persistence: storagePersistence(storage, { writeDelayMs: 60_000 }) });
    await clock.tick(0);
    expect(core.callsOf('messages.send')).toHaveLength(1);
    expect(outboxes().get(`${KEY}#outbox:live`)!.map((e) => e.idempotencyKey)).toEqual(['k1', 'k2']);

    // Another client starting takes this one's outbox over and removes it; this one's shutdown writes it back.
    const own = [...outboxes().keys()].find((k) => !k.endsWith('#outbox:live'))!;
    data.delete(own);
    await client.shutdown();
    expect(outboxes().get(own)!.map((e) => e.idempotencyKey)).toEqual(['k1']);
  });

  it('OFFLINE-2: an outbox of another identity, schema or of no JSON under the outbox keys is discarded with a warning, and the rest is sent', async () => {
    const warnings: string[] = [];
    const quiet = () => undefined;
    const { storage, data, outboxes } = memoryStorage(undefined, { listing: true });
    data.set(`${KEY}#outbox:good`, JSON.stringify({ ...snapshot({ outbox: [entry('k1', 1)] }), cache: null }));
    data.set(`${KEY}#outbox:bob`, JSON.stringify({ ...snapshot({ outbox: [entry('x1', 1)] }), identity: 'bob', cache: null }));
    data.set(`${KEY}#outbox:old`, JSON.stringify({ ...snapshot({ outbox: [entry('x2', 1)] }), v: 0 }));
    data.set(`${KEY}#outbox:torn`, '{"v":1,"outb');
    const { core, clock } = setup(() => new Promise(() => undefined), {
      url: URL,
      persistence: storagePersistence(storage),
      logger: { error: quiet, warn: (m) => warnings.push(m), info: quiet, debug: quiet, trace: quiet },
    });
    await clock.tick(0);
    expect(core.callsOf('messages.send').map((c) => (c.args as { idempotencyKey: string }).idempotencyKey)).toEqual(['k1']);
    expect(warnings).toEqual([
      expect.stringContaining('another identity'),
      expect.stringContaining('schema version 0'),
      expect.stringContaining('not JSON'),
    ]);
    await clock.tick(0);
    expect([...outboxes().values()].map((o) => o.map((e) => e.idempotencyKey))).toEqual([['k1']]);
  });

  it('OFFLINE-2: a storage whose keys() ignores the prefix never makes the client take over, or remove, what is not its outbox', async () => {
    const { storage, data, outboxes } = memoryStorage(snapshot(), { listing: true });
    storage.keys = async () => [...data.keys()];
    data.set('rx-conversations:bob@ws://chat.test', JSON.stringify({ ...snapshot({ outbox: [entry('b1', 1)] }), identity: 'bob' }));
    data.set(`${KEY}#outbox:other-tab`, JSON.stringify({ ...snapshot({ outbox: [entry('k1', 1)] }), cache: null }));
    const { core, client, clock } = setup(() => new Promise(() => undefined), { url: URL, persistence: storagePersistence(storage) });
    await clock.tick(0);
    expect(core.callsOf('messages.send').map((c) => (c.args as { idempotencyKey: string }).idempotencyKey)).toEqual(['k1']);
    await client.shutdown({ clearCache: true });
    expect([...data.keys()]).toEqual(['rx-conversations:bob@ws://chat.test']);
    expect(outboxes().size).toBe(0);
  });

  it('OFFLINE-2: shutdown({ clearCache: true }) removes every outbox of the identity, not only its own', async () => {
    const { storage, data } = memoryStorage(snapshot(), { listing: true });
    data.set(`${KEY}#outbox:other-tab`, JSON.stringify({ ...snapshot({ outbox: [entry('k1', 1)] }), cache: null }));
    data.set('rx-conversations:bob@ws://chat.test#outbox:x', 'bob keeps his');
    const { client, clock } = setup(() => new Promise(() => undefined), { url: URL, persistence: storagePersistence(storage) });
    await clock.tick(0);
    await client.shutdown({ clearCache: true });
    expect([...data.keys()]).toEqual(['rx-conversations:bob@ws://chat.test#outbox:x']);
  });

  it('OFFLINE-1: while a synchronisation is under way the last consistent cache is written, not a half-read one', async () => {
    const { storage, writes } = memoryStorage(snapshot());
    const { core, client, clock } = setup((op) => (op === 'conversations.list' ? new Promise(() => undefined) : new Promise(() => undefined)), {
      url: URL,
      persistence: storagePersistence(storage, { writeDelayMs: 0 }),
    });
    await clock.tick(0);
    core.welcome('resync');
    void client.conversation('c1').sendMessage('while syncing');
    await clock.tick(0);
    expect(writes.at(-1)!.cache).toEqual(snapshot().cache);
    expect(writes.at(-1)!.outbox).toHaveLength(1);
  });

  it('OFFLINE-1: a storage that fails to read is reported with a warning; the client starts cold', async () => {
    const warnings: string[] = [];
    const quiet = () => undefined;
    const storage: PersistenceStorage = { read: () => Promise.reject(new Error('disk gone')), write: async () => undefined, remove: async () => undefined };
    const { core, client, clock } = setup((op) => (op === 'conversations.list' ? listPage : null), {
      url: URL,
      persistence: storagePersistence(storage),
      logger: { error: quiet, warn: (m) => warnings.push(m), info: quiet, debug: quiet, trace: quiet },
    });
    await clock.tick(0);
    expect(await core.resumedFrom).toBeNull();
    core.welcome('fresh');
    await client.whenSynchronized();
    expect(warnings).toEqual([expect.stringContaining('could not be read')]);
  });

  it('OFFLINE-1: bad storages and options are refused with a TypeError', () => {
    expect(() => storagePersistence({} as PersistenceStorage)).toThrow(TypeError);
    expect(() => storagePersistence(memoryStorage().storage, { writeDelayMs: -1 })).toThrow(TypeError);
    expect(() => storagePersistence({ ...memoryStorage().storage, keys: true } as unknown as PersistenceStorage)).toThrow(/storage\.keys must be a function/);
  });
});
