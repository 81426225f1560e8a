import { describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { useFakeSessions } from '../../test/fakeSessions.js';
import { conv, msg, user } from '../../test/fixtures.js';
import type { PersistenceStorage } from './PersistenceStorage.js';
import { storagePersistence } from './storagePersistence.js';
import { CACHE_SCHEMA_VERSION, type CacheSnapshot } from './cacheSnapshot.js';

const URL = 'ws://chat.test';
const KEY = `rx-conversations:alice@${URL}`;

/** A storage in memory that counts writes. */
function memoryStorage(initial?: CacheSnapshot | string) {
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
  };
  return { storage, writes, data };
}

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
    let acknowledge: (value: unknown) => void = () => undefined;
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
    expect(writes.at(-1)!.outbox).toEqual([expect.objectContaining({ kind: 'message', conversationSid: 'c1', body: 'hello', idempotencyKey: key })]);
    acknowledge(null);
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
  });
});
