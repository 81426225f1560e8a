// The store contract (CORE-1): what the core relies on from every adapter, run against the in-memory
// store, SQLite on a file and PostgreSQL, each test on a store of its own. The last test runs one mixed
// sequence on all three and compares their answers, so a difference none of the others names (a
// string for a number, undefined for null, another order) still shows.
import { afterEach, describe, expect, it } from '@jest/globals';
import { run, runSync, type EventStream, type LoggedEvent, type NewEvent, type RetentionLimits, type Step, type Store, type StoreTx } from '@rx-conversations/server-core';
import { read, storeAdapters, write, type StoreAdapter } from './storeAdapters.js';
import { conversationRow, labelOf, messageRow, newEvent, participantRow } from './storeRows.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function opened(adapter: StoreAdapter, retention?: RetentionLimits): Promise<Store> {
  const { store, close } = await adapter.open(retention);
  cleanups.push(close);
  return store;
}

type PruneLimits = Parameters<Store['prune']>[1];

/** Longer than any test's clock: prunes nothing (the server only passes finite limits). */
const FOREVER = 1e15;
const NO_PRUNE: PruneLimits = { events: { maxEvents: FOREVER, maxAgeMs: FOREVER }, idempotencyTtlMs: FOREVER, registrationIdleMs: FOREVER };

/** Runs the store's retention pass at `now`. */
async function prune(store: Store, now: number, limits: Partial<PruneLimits>): Promise<void> {
  await run(store.prune(now, { ...NO_PRUNE, ...limits }));
}

/** Everything a user of the store can read back, through the store's own interface. */
function* everything(tx: StoreTx): Step<object> {
  return {
    conversations: [yield* tx.getConversation('CH1'), yield* tx.getConversation('CH2'), yield* tx.getConversation('CH3')],
    byUniqueName: [yield* tx.getConversationByUniqueName('general'), yield* tx.getConversationByUniqueName('renamed')],
    participants: [yield* tx.listParticipants('CH1'), yield* tx.listParticipants('CH2'), yield* tx.listParticipants('CH3')],
    memberships: [yield* tx.membershipsPage('alice', 0, 100), yield* tx.membershipsPage('bob', 0, 100), yield* tx.membershipsPage('carol', 0, 100)],
    messages: [yield* tx.messagesAfter('CH1', -1, 100), yield* tx.messagesAfter('CH2', -1, 100)],
    users: [yield* tx.getUser('alice'), yield* tx.getUser('bob'), yield* tx.getUser('carol')],
    registrations: [yield* tx.countRegistrations('alice'), yield* tx.countRegistrations('bob'), yield* tx.countRegistrations('carol')],
    idempotency: [yield* tx.getIdempotency('alice', 'k1'), yield* tx.getIdempotency('alice', 'k2')],
    head: yield* tx.headSeq(),
    log: yield* tx.eventsAfter(0, 100),
    views: [yield* tx.eventsFor('alice', 0), yield* tx.eventsFor('bob', 0), yield* tx.eventsFor('carol', 0)],
  };
}

/** Appends each event in a write of its own; returns them as logged. */
async function appendEach(store: Store, events: readonly NewEvent[]): Promise<LoggedEvent[]> {
  const logged: LoggedEvent[] = [];
  for (const event of events) logged.push(await write(store, (tx) => tx.appendEvent(event)));
  return logged;
}

describe.each(storeAdapters.map((adapter) => [adapter.name, adapter] as const))('the %s store (CORE-1)', (_name, adapter) => {
  it('CORE-1: appended events take gapless increasing positions, and prev links each to the previous event of its stream', async () => {
    const store = await opened(adapter);
    expect(await read(store, (tx) => tx.headSeq())).toBe(0);
    const first = await write(store, function* (tx) {
      return [
        yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'a')),
        yield* tx.appendEvent(newEvent({ user: 'alice' }, 'b')),
        yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'c')),
      ];
    });
    const second = await write(store, function* (tx) {
      return [
        yield* tx.appendEvent(newEvent({ conversation: 'CH2' }, 'd')),
        yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'e')),
        yield* tx.appendEvent(newEvent({ user: 'alice' }, 'f', 2_000)),
      ];
    });
    const all = [...first, ...second];

    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.map((e) => e.prev)).toEqual([0, 0, 1, 0, 3, 2]);
    expect(all.map((e) => [e.conversationSid, e.identity])).toEqual([['CH1', null], [null, 'alice'], ['CH1', null], ['CH2', null], ['CH1', null], [null, 'alice']]);
    expect(all[5]).toEqual({ seq: 6, prev: 2, conversationSid: null, identity: 'alice', kind: 'test', payload: '{"label":"f"}', at: 2_000 });
    expect(await read(store, (tx) => tx.headSeq())).toBe(6);
    // What the writer was told is what every reader gets back.
    expect(await read(store, (tx) => tx.eventsAfter(0, 100))).toEqual(all);
  });

  it('CORE-1: a store that says it is synchronous answers every step at once; one that is not answers with promises', async () => {
    const store = await opened(adapter);
    const append = () => store.write((tx) => tx.appendEvent(newEvent({ user: 'alice' }, 'e')));
    // The core runs a synchronous store's ops in one turn (runSync), and awaits the others' (run).
    if (store.synchronous) {
      expect(runSync(append())).toMatchObject({ seq: 1 });
      expect(runSync(store.read((tx) => tx.headSeq()))).toBe(1);
    } else {
      const answer = run(append());
      expect(answer).toBeInstanceOf(Promise);
      expect(await answer).toMatchObject({ seq: 1 });
    }
    expect(store.synchronous).toBe(adapter.name !== 'postgres');
  });

  it('CORE-1: eventsAfter returns the events after a position, oldest first, at most `limit`, and pages through the log', async () => {
    const store = await opened(adapter);
    const appended = await appendEach(
      store,
      Array.from({ length: 10 }, (_, i) => newEvent(i % 3 === 0 ? { user: 'alice' } : { conversation: `CH${i % 3}` }, `e${i + 1}`)),
    );

    expect(await read(store, (tx) => tx.eventsAfter(0, 100))).toEqual(appended);
    expect(await read(store, (tx) => tx.eventsAfter(3, 4))).toEqual(appended.slice(3, 7));
    expect(await read(store, (tx) => tx.eventsAfter(9, 4))).toEqual(appended.slice(9));
    expect(await read(store, (tx) => tx.eventsAfter(10, 4))).toEqual([]);
    expect(await read(store, (tx) => tx.eventsAfter(0, 0))).toEqual([]);

    const paged: LoggedEvent[] = [];
    for (let page = await read(store, (tx) => tx.eventsAfter(0, 3)); page !== null && page.length > 0; ) {
      paged.push(...page);
      const after = page[page.length - 1]!.seq;
      page = await read(store, (tx) => tx.eventsAfter(after, 3));
    }
    expect(paged.map(labelOf)).toEqual(appended.map(labelOf));
  });

  it('CORE-1: a write that throws leaves nothing behind (no row, no event, no membership) and the next event takes the position it would have had', async () => {
    const store = await opened(adapter);
    await write(store, function* (tx) {
      yield* tx.insertConversation(conversationRow('CH1', { unique_name: 'general' }));
      yield* tx.insertParticipant(participantRow('CH1', 'alice'));
      yield* tx.insertMessage(messageRow('CH1', 0, 'alice'));
      yield* tx.ensureUser('alice', 1_000, 'USalice');
      yield* tx.upsertRegistration('alice', 'fcm', 'token-a', 1_000);
      yield* tx.insertIdempotency('alice', 'k1', 'messages.send', 'hash', '{"index":0}', 1_000);
      const added = yield* tx.appendEvent(newEvent({ user: 'alice' }, 'added'));
      yield* tx.openMembership('alice', 'CH1', added.seq);
      yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'message 0'));
    });
    const before = await read(store, everything);

    const refused = new Error('refused mid-write');
    const failing = write(store, function* (tx) {
      yield* tx.insertConversation(conversationRow('CH2', { unique_name: 'renamed' }));
      yield* tx.updateConversation(conversationRow('CH1', { unique_name: null, friendly_name: 'changed', version: 2 }));
      const bob = yield* tx.insertParticipant(participantRow('CH1', 'bob'));
      yield* tx.updateParticipant({ ...bob, role: 'RL00000000000000000000000000000002', version: 2 });
      const alice = (yield* tx.getParticipant('CH1', 'alice'))!;
      yield* tx.updateParticipant({ ...alice, last_read_message_index: 0, version: 2 });
      yield* tx.insertMessage(messageRow('CH1', 1, 'bob'));
      yield* tx.updateMessage(messageRow('CH1', 0, 'alice', { body: 'edited', version: 2 }));
      yield* tx.ensureUser('bob', 2_000, 'USbob');
      yield* tx.updateUser({ identity: 'alice', sid: 'USalice', friendly_name: 'Alice', attributes: '{"x":1}', version: 2, created_at: 1_000, role_sid: 'RL00000000000000000000000000000004' });
      yield* tx.bumpUserVersion('alice');
      yield* tx.upsertRegistration('bob', 'apn', 'token-b', 2_000);
      yield* tx.deleteRegistration('alice', 'fcm', 'token-a');
      yield* tx.insertIdempotency('alice', 'k2', 'messages.send', 'hash', '{"index":1}', 2_000);
      const added = yield* tx.appendEvent(newEvent({ user: 'bob' }, 'bob added'));
      yield* tx.openMembership('bob', 'CH1', added.seq);
      const removed = yield* tx.appendEvent(newEvent({ user: 'alice' }, 'alice removed'));
      yield* tx.closeMembership('alice', 'CH1', removed.seq);
      yield* tx.deleteParticipant(alice.id);
      yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'never'));
      // Seen from inside, the write did happen: the store is not simply ignoring it.
      expect(yield* tx.headSeq()).toBe(5);
      expect((yield* tx.getConversation('CH2'))?.unique_name).toBe('renamed');
      throw refused;
    });

    await expect(failing).rejects.toBe(refused);
    expect(await read(store, everything)).toEqual(before);
    const next = await write(store, (tx) => tx.appendEvent(newEvent({ conversation: 'CH1' }, 'after')));
    expect(next).toMatchObject({ seq: 3, prev: 2 });
    expect((await read(store, (tx) => tx.eventsAfter(0, 100)))!.map(labelOf)).toEqual(['added', 'message 0', 'after']);
  });

  it('CORE-1: deleting a conversation inside a write that throws keeps it with its participants and messages', async () => {
    const store = await opened(adapter);
    await write(store, function* (tx) {
      yield* tx.insertConversation(conversationRow('CH1', { unique_name: 'general' }));
      yield* tx.insertParticipant(participantRow('CH1', 'alice'));
      yield* tx.insertMessage(messageRow('CH1', 0, 'alice'));
    });
    const before = await read(store, everything);

    await expect(
      write(store, function* (tx) {
        yield* tx.deleteConversation('CH1');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');

    expect(await read(store, everything)).toEqual(before);
    expect(await read(store, (tx) => tx.getConversationByUniqueName('general'))).toMatchObject({ sid: 'CH1' });
  });

  it('SRV-5: an idempotency row is kept per user and key, read back as stored, and pruned after its TTL', async () => {
    const store = await opened(adapter);
    expect(await read(store, (tx) => tx.getIdempotency('alice', 'k1'))).toBeUndefined();
    await write(store, function* (tx) {
      yield* tx.insertIdempotency('alice', 'k1', 'messages.send', 'hash-1', '{"index":0}', 1_000);
      yield* tx.insertIdempotency('alice', 'k2', 'conversations.create', 'hash-2', '{"sid":"CH1"}', 5_000);
    });

    expect(await read(store, (tx) => tx.getIdempotency('alice', 'k1'))).toEqual({ op: 'messages.send', args_hash: 'hash-1', result: '{"index":0}' });
    // A key is the user's own: the same key from someone else is another request.
    expect(await read(store, (tx) => tx.getIdempotency('bob', 'k1'))).toBeUndefined();
    expect(await read(store, (tx) => tx.getIdempotency('alice', 'k3'))).toBeUndefined();

    await prune(store, 6_000, { idempotencyTtlMs: 2_000 });
    expect(await read(store, (tx) => tx.getIdempotency('alice', 'k1'))).toBeUndefined();
    expect(await read(store, (tx) => tx.getIdempotency('alice', 'k2'))).toEqual({ op: 'conversations.create', args_hash: 'hash-2', result: '{"sid":"CH1"}' });
  });

  it('SRV-4: past count retention, reading from a dropped position answers null (resync) and from the oldest kept one answers the rest', async () => {
    const store = await opened(adapter, { maxEvents: 3, maxAgeMs: Number.POSITIVE_INFINITY });
    const appended = await appendEach(store, [1, 2, 3, 4, 5].map((n) => newEvent({ user: 'alice' }, `e${n}`)));

    expect(await read(store, (tx) => tx.headSeq())).toBe(5);
    expect(await read(store, (tx) => tx.eventsAfter(0, 100))).toBeNull();
    expect(await read(store, (tx) => tx.eventsAfter(1, 100))).toBeNull();
    expect(await read(store, (tx) => tx.eventsAfter(2, 100))).toEqual(appended.slice(2));
    expect(await read(store, (tx) => tx.eventsFor('alice', 1))).toBeNull();
    expect(await read(store, (tx) => tx.eventsFor('alice', 2))).toEqual(appended.slice(2));
  });

  it('SRV-4: a write that throws after an append past count retention drops nothing', async () => {
    const store = await opened(adapter, { maxEvents: 3, maxAgeMs: Number.POSITIVE_INFINITY });
    const appended = await appendEach(store, [1, 2, 3].map((n) => newEvent({ user: 'alice' }, `e${n}`)));

    await expect(
      write(store, function* (tx) {
        yield* tx.appendEvent(newEvent({ user: 'alice' }, 'never'));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');

    // Event 1 would have been dropped to make room: the client resuming from 0 must still get it.
    expect(await read(store, (tx) => tx.eventsAfter(0, 100))).toEqual(appended);
    expect(await read(store, (tx) => tx.eventsFor('alice', 0))).toEqual(appended);
  });

  it('SRV-4: prune drops the events older than maxAgeMs, and the log keeps counting after it empties', async () => {
    const store = await opened(adapter);
    const appended = await appendEach(store, [100, 200, 300, 400].map((at) => newEvent({ conversation: 'CH1' }, `at ${at}`, at)));

    await prune(store, 1_000, { events: { maxEvents: FOREVER, maxAgeMs: 750 } });
    expect(await read(store, (tx) => tx.eventsAfter(1, 100))).toBeNull();
    expect(await read(store, (tx) => tx.eventsAfter(2, 100))).toEqual(appended.slice(2));

    await prune(store, 10_000, { events: { maxEvents: FOREVER, maxAgeMs: 750 } });
    expect(await read(store, (tx) => tx.headSeq())).toBe(4);
    expect(await read(store, (tx) => tx.eventsAfter(3, 100))).toBeNull();
    expect(await read(store, (tx) => tx.eventsAfter(4, 100))).toEqual([]);
    // Positions are never reused: a client at 4 must not mistake a new event for one it has.
    expect(await write(store, (tx) => tx.appendEvent(newEvent({ conversation: 'CH1' }, 'new')))).toMatchObject({ seq: 5, prev: 4 });
  });

  it('CORE-2: a user sees their own stream plus each conversation between joining (exclusive) and leaving (inclusive)', async () => {
    const store = await opened(adapter);
    const labels = await write(store, function* (tx) {
      const append = (stream: EventStream, label: string) => tx.appendEvent(newEvent(stream, label));
      const joined = yield* append({ user: 'alice' }, 'alice joins CH1');
      yield* tx.openMembership('alice', 'CH1', joined.seq);
      yield* append({ conversation: 'CH1' }, 'CH1 first');
      yield* append({ conversation: 'CH2' }, 'CH2 unseen');
      yield* append({ user: 'bob' }, 'bob own');
      const last = yield* append({ conversation: 'CH1' }, 'CH1 ends');
      yield* tx.closeMembership('alice', 'CH1', last.seq);
      yield* append({ conversation: 'CH1' }, 'CH1 after leaving');
      const rejoined = yield* append({ user: 'alice' }, 'alice rejoins CH1');
      yield* tx.openMembership('alice', 'CH1', rejoined.seq);
      yield* append({ conversation: 'CH1' }, 'CH1 again');
      return (yield* tx.eventsAfter(0, 100))!.map((e) => `${e.seq} ${labelOf(e)}`);
    });
    expect(labels).toHaveLength(8);

    const view = async (afterSeq: number) => (await read(store, (tx) => tx.eventsFor('alice', afterSeq)))?.map(labelOf);
    expect(await view(0)).toEqual(['alice joins CH1', 'CH1 first', 'CH1 ends', 'alice rejoins CH1', 'CH1 again']);
    expect(await view(2)).toEqual(['CH1 ends', 'alice rejoins CH1', 'CH1 again']);
    expect(await view(5)).toEqual(['alice rejoins CH1', 'CH1 again']);
    expect(await view(8)).toEqual([]);
    expect((await read(store, (tx) => tx.eventsFor('bob', 0)))?.map(labelOf)).toEqual(['bob own']);
  });

  it('CORE-1: conversations read back as written, by sid and unique name; deleting one deletes its participants and messages only', async () => {
    const store = await opened(adapter);
    const general = conversationRow('CH1', { unique_name: 'general', friendly_name: 'General', attributes: '{"topic":"x"}', last_message_index: 1, last_message_at: 1_001, messages_count: 2, participants_count: 1 });
    await write(store, function* (tx) {
      yield* tx.insertConversation(general);
      yield* tx.insertConversation(conversationRow('CH2'));
      yield* tx.insertParticipant(participantRow('CH1', 'alice'));
      yield* tx.insertParticipant(participantRow('CH2', 'alice'));
      yield* tx.insertMessage(messageRow('CH1', 0, 'alice'));
      yield* tx.insertMessage(messageRow('CH1', 1, 'alice'));
      yield* tx.insertMessage(messageRow('CH2', 0, 'alice'));
    });
    expect(await read(store, (tx) => tx.getConversation('CH1'))).toEqual(general);
    expect(await read(store, (tx) => tx.getConversationByUniqueName('general'))).toEqual(general);
    expect(await read(store, (tx) => tx.getConversation('CH9'))).toBeUndefined();

    const renamed = { ...general, unique_name: 'renamed', friendly_name: null, updated_at: 2_000, version: 2 };
    await write(store, (tx) => tx.updateConversation(renamed));
    expect(await read(store, (tx) => tx.getConversationByUniqueName('general'))).toBeUndefined();
    expect(await read(store, (tx) => tx.getConversationByUniqueName('renamed'))).toEqual(renamed);

    await write(store, (tx) => tx.deleteConversation('CH1'));
    expect(await read(store, (tx) => tx.getConversation('CH1'))).toBeUndefined();
    expect(await read(store, (tx) => tx.getConversationByUniqueName('renamed'))).toBeUndefined();
    expect(await read(store, (tx) => tx.listParticipants('CH1'))).toEqual([]);
    expect(await read(store, (tx) => tx.getMessage('CH1', 0))).toBeUndefined();
    expect(await read(store, (tx) => tx.conversationSidsOf('alice'))).toEqual(['CH2']);
    expect(await read(store, (tx) => tx.getMessage('CH2', 0))).toEqual(messageRow('CH2', 0, 'alice'));
  });

  it('CORE-1: participants list in join order, and a user\'s memberships page by keyset', async () => {
    const store = await opened(adapter);
    const ids = await write(store, function* (tx) {
      const out: number[] = [];
      for (const [sid, identity] of [['CH1', 'carol'], ['CH2', 'alice'], ['CH1', 'alice'], ['CH3', 'alice'], ['CH1', 'bob'], ['CH4', 'alice']] as const) {
        out.push((yield* tx.insertParticipant(participantRow(sid, identity))).id);
      }
      return out;
    });
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);

    expect((await read(store, (tx) => tx.listParticipants('CH1'))).map((p) => p.identity)).toEqual(['carol', 'alice', 'bob']);
    const alice = await read(store, (tx) => tx.getParticipant('CH1', 'alice'));
    expect(alice).toEqual({ ...participantRow('CH1', 'alice'), id: ids[2] });

    const page1 = await read(store, (tx) => tx.membershipsPage('alice', 0, 2));
    expect(page1.map((p) => p.conversation_sid)).toEqual(['CH2', 'CH1']);
    const page2 = await read(store, (tx) => tx.membershipsPage('alice', page1[1]!.id, 2));
    expect(page2.map((p) => p.conversation_sid)).toEqual(['CH3', 'CH4']);
    expect(await read(store, (tx) => tx.membershipsPage('alice', page2[1]!.id, 2))).toEqual([]);
    expect((await read(store, (tx) => tx.conversationSidsOf('alice'))).sort()).toEqual(['CH1', 'CH2', 'CH3', 'CH4']);

    await write(store, function* (tx) {
      yield* tx.updateParticipant({ ...alice!, role: 'admin', notification_level: 'muted', last_read_message_index: 4, last_read_at: 3_000, version: 2 });
      yield* tx.deleteParticipant(ids[0]!);
    });
    expect(await read(store, (tx) => tx.getParticipant('CH1', 'alice'))).toMatchObject({ role: 'admin', notification_level: 'muted', last_read_message_index: 4, version: 2 });
    expect((await read(store, (tx) => tx.listParticipants('CH1'))).map((p) => p.identity)).toEqual(['alice', 'bob']);
    expect(await read(store, (tx) => tx.conversationSidsOf('carol'))).toEqual([]);
  });

  it('CORE-1: message windows skip removed messages, newest first before an index and oldest first after one; unread counts others\' messages', async () => {
    const store = await opened(adapter);
    await write(store, function* (tx) {
      for (let idx = 0; idx < 8; idx += 1) yield* tx.insertMessage(messageRow('CH1', idx, idx % 2 === 0 ? 'alice' : 'bob'));
      yield* tx.updateMessage(messageRow('CH1', 3, 'bob', { body: null, removed: 1, version: 2 }));
      yield* tx.updateMessage(messageRow('CH1', 4, 'alice', { body: 'edited', version: 2 }));
    });
    const indexes = (rows: ReadonlyArray<{ idx: number }>) => rows.map((m) => m.idx);

    expect(indexes(await read(store, (tx) => tx.messagesBefore('CH1', 6, 3)))).toEqual([5, 4, 2]);
    expect(indexes(await read(store, (tx) => tx.messagesBefore('CH1', 100, 100)))).toEqual([7, 6, 5, 4, 2, 1, 0]);
    expect(indexes(await read(store, (tx) => tx.messagesAfter('CH1', 1, 3)))).toEqual([2, 4, 5]);
    expect(indexes(await read(store, (tx) => tx.messagesAfter('CH1', -1, 100)))).toEqual([0, 1, 2, 4, 5, 6, 7]);
    expect(await read(store, (tx) => tx.messagesAfter('CH2', -1, 100))).toEqual([]);
    expect(await read(store, (tx) => tx.getMessage('CH1', 4))).toEqual(messageRow('CH1', 4, 'alice', { body: 'edited', version: 2 }));
    expect(await read(store, (tx) => tx.getMessage('CH1', 3))).toMatchObject({ removed: 1, body: null });

    // bob wrote 1, 3 (removed), 5, 7: alice has read up to 4, so 5 and 7 are unread.
    expect(await read(store, (tx) => tx.unreadCount('CH1', 4, 'alice'))).toBe(2);
    expect(await read(store, (tx) => tx.unreadCount('CH1', null, 'alice'))).toBe(3);
    expect(await read(store, (tx) => tx.unreadCount('CH1', 7, 'alice'))).toBe(0);
  });

  it('CORE-1: a user row is created once on first sight, then updated and versioned', async () => {
    const store = await opened(adapter);
    expect(await read(store, (tx) => tx.getUser('alice'))).toBeUndefined();
    const created = await write(store, (tx) => tx.ensureUser('alice', 1_000, 'USalice'));
    expect(created).toEqual({ identity: 'alice', sid: 'USalice', friendly_name: null, attributes: '{}', version: 1, created_at: 1_000, role_sid: null });
    // Seen again later: the row is the first one (its sid too), not a new one.
    expect(await write(store, (tx) => tx.ensureUser('alice', 9_000, 'USother'))).toEqual(created);
    expect(await read(store, (tx) => tx.getUserBySid('USalice'))).toEqual(created);
    expect(await read(store, (tx) => tx.getUserBySid('USother'))).toBeUndefined();

    await write(store, function* (tx) {
      yield* tx.updateUser({ ...created, friendly_name: 'Alice', attributes: '{"a":1}', version: 2, role_sid: 'RLadmin' });
      yield* tx.bumpUserVersion('alice');
      yield* tx.bumpUserVersion('nobody');
    });
    expect(await read(store, (tx) => tx.getUser('alice'))).toEqual({ identity: 'alice', sid: 'USalice', friendly_name: 'Alice', attributes: '{"a":1}', version: 3, created_at: 1_000, role_sid: 'RLadmin' });
    expect(await read(store, (tx) => tx.getUser('nobody'))).toBeUndefined();
  });

  it('ADMIN-4: roles and settings are stored, replaced and deleted, and a role counts the participants and users who hold it', async () => {
    const store = await opened(adapter);
    const moderator = { sid: 'RLmod', friendly_name: 'moderator', type: 'conversation' as const, permissions: '["sendMessage","deleteAnyMessage"]', created_at: 1_000, updated_at: 1_000 };
    await write(store, function* (tx) {
      yield* tx.putRole(moderator);
      yield* tx.putRole({ ...moderator, sid: 'RLgone' });
      yield* tx.putSetting('default_conversation_role_sid', 'RLmod');
      yield* tx.insertConversation(conversationRow('CH1'));
      yield* tx.insertParticipant(participantRow('CH1', 'alice', { role: 'RLmod' }));
      yield* tx.insertParticipant(participantRow('CH1', 'bob'));
      yield* tx.updateUser({ ...(yield* tx.ensureUser('carol', 1_000, 'UScarol')), role_sid: 'RLmod' });
    });
    await write(store, function* (tx) {
      yield* tx.putRole({ ...moderator, permissions: '["sendMessage"]', updated_at: 2_000 });
      yield* tx.deleteRole('RLgone');
      yield* tx.putSetting('default_conversation_role_sid', 'RLother');
    });
    expect(await read(store, (tx) => tx.listRoles())).toEqual([{ ...moderator, permissions: '["sendMessage"]', updated_at: 2_000 }]);
    expect(await read(store, (tx) => tx.listSettings())).toEqual([{ key: 'default_conversation_role_sid', value: 'RLother' }]);
    expect(await read(store, (tx) => tx.countRoleHolders('RLmod'))).toBe(2);
    expect(await read(store, (tx) => tx.countRoleHolders('RLnobody'))).toBe(0);
  });

  it('CORE-1: push registrations are kept once per token, go to unmuted participants other than the author, and idle ones are pruned', async () => {
    const store = await opened(adapter);
    await write(store, function* (tx) {
      yield* tx.insertParticipant(participantRow('CH1', 'alice'));
      yield* tx.insertParticipant(participantRow('CH1', 'bob'));
      yield* tx.insertParticipant(participantRow('CH1', 'carol', { notification_level: 'muted' }));
      yield* tx.upsertRegistration('alice', 'fcm', 'a1', 1_000);
      yield* tx.upsertRegistration('bob', 'fcm', 'b1', 1_000);
      yield* tx.upsertRegistration('bob', 'apn', 'b2', 1_000);
      yield* tx.upsertRegistration('bob', 'apn', 'b2', 5_000);
      yield* tx.upsertRegistration('carol', 'fcm', 'c1', 1_000);
      yield* tx.upsertRegistration('dave', 'fcm', 'd1', 1_000);
    });
    expect(await read(store, (tx) => tx.countRegistrations('bob'))).toBe(2);
    const targets = await read(store, (tx) => tx.pushTargets('CH1', 'alice'));
    expect(targets.map((t) => `${t.identity} ${t.type} ${t.token}`).sort()).toEqual(['bob apn b2', 'bob fcm b1']);

    expect(await write(store, (tx) => tx.deleteRegistration('bob', 'fcm', 'b1'))).toBe(true);
    expect(await write(store, (tx) => tx.deleteRegistration('bob', 'fcm', 'b1'))).toBe(false);

    // b2 was seen again at 5000: only the registrations idle since 1000 go.
    await prune(store, 6_000, { registrationIdleMs: 2_000 });
    expect(await read(store, (tx) => tx.countRegistrations('bob'))).toBe(1);
    expect(await read(store, (tx) => tx.countRegistrations('alice'))).toBe(0);
    expect(await read(store, (tx) => tx.pushTargets('CH1', 'carol'))).toEqual([{ identity: 'bob', type: 'apn', token: 'b2' }]);
  });
});

/** One mixed sequence of writes and reads; every answer, labelled, in order. */
async function transcript(store: Store): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = [];
  const note = async (label: string, answer: Promise<unknown>) => void out.push([label, await answer]);
  await note('create', write(store, function* (tx) {
    const user = yield* tx.ensureUser('alice', 1_000, 'USalice');
    yield* tx.insertConversation(conversationRow('CH1', { unique_name: 'general' }));
    const member = yield* tx.insertParticipant(participantRow('CH1', 'alice', { role: 'admin' }));
    const added = yield* tx.appendEvent(newEvent({ user: 'alice' }, 'conversationAdded'));
    yield* tx.openMembership('alice', 'CH1', added.seq);
    return { user, member, added };
  }));
  await note('join', write(store, function* (tx) {
    const member = yield* tx.insertParticipant(participantRow('CH1', 'bob'));
    const added = yield* tx.appendEvent(newEvent({ user: 'bob' }, 'conversationAdded'));
    yield* tx.openMembership('bob', 'CH1', added.seq);
    return { member, joined: yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'participantAdded')) };
  }));
  for (let idx = 0; idx < 4; idx += 1) {
    await note(`send ${idx}`, write(store, function* (tx) {
      yield* tx.insertMessage(messageRow('CH1', idx, idx % 2 === 0 ? 'alice' : 'bob', { idempotency_key: `k${idx}` }));
      yield* tx.insertIdempotency(idx % 2 === 0 ? 'alice' : 'bob', `k${idx}`, 'messages.send', `h${idx}`, JSON.stringify({ index: idx }), 1_000 + idx);
      const conversation = (yield* tx.getConversation('CH1'))!;
      yield* tx.updateConversation({ ...conversation, last_message_index: idx, last_message_at: 1_000 + idx, messages_count: idx + 1, version: conversation.version + 1 });
      return yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, `messageAdded ${idx}`, 1_000 + idx));
    }));
  }
  await note('refused', write(store, function* (tx) {
    yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'never'));
    throw new Error('refused');
  }).catch((err: Error) => err.message));
  await note('leave', write(store, function* (tx) {
    const bob = (yield* tx.getParticipant('CH1', 'bob'))!;
    yield* tx.deleteParticipant(bob.id);
    const removed = yield* tx.appendEvent(newEvent({ user: 'bob' }, 'conversationRemoved'));
    yield* tx.closeMembership('bob', 'CH1', removed.seq);
    yield* tx.upsertRegistration('alice', 'fcm', 'a1', 2_000);
    yield* tx.bumpUserVersion('alice');
    return removed;
  }));
  await note('after leave', write(store, (tx) => tx.appendEvent(newEvent({ conversation: 'CH1' }, 'messageAdded 4'))));
  await note('state', read(store, everything));
  await note('window', read(store, function* (tx) {
    return {
      before: yield* tx.messagesBefore('CH1', 3, 2),
      after: yield* tx.messagesAfter('CH1', 0, 2),
      unread: yield* tx.unreadCount('CH1', 0, 'alice'),
      sids: yield* tx.conversationSidsOf('alice'),
      page: yield* tx.membershipsPage('alice', 0, 1),
      targets: yield* tx.pushTargets('CH1', 'bob'),
    };
  }));
  await note('bob from 3', read(store, (tx) => tx.eventsFor('bob', 3)));
  await note('paged', read(store, (tx) => tx.eventsAfter(2, 3)));
  return out;
}

describe('every adapter alike (CORE-1)', () => {
  it('CORE-1: SQLite and PostgreSQL answer a mixed sequence of writes, a refused write and reads exactly as the in-memory store does', async () => {
    const answers = new Map(await Promise.all(storeAdapters.map(async (adapter) => [adapter.name, await transcript(await opened(adapter))] as const)));
    const memory = answers.get('memory')!;
    // The sequence exercised what it is meant to: events were logged and the refused write refused.
    expect(memory.find(([label]) => label === 'refused')?.[1]).toBe('refused');
    expect((memory.find(([label]) => label === 'after leave')?.[1] as LoggedEvent).seq).toBe(9);
    expect(answers.get('sqlite')).toEqual(memory);
    expect(answers.get('postgres')).toEqual(memory);
  });
});
