import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { reduceBatch, type BatchChanges } from './rootReducer.js';
import { initialStoreState, type StoreState } from './StoreState.js';
import type { StoreAction } from './StoreAction.js';
import { entryAt, highestIndex, lowestIndex } from './messageWindow.js';
import { conv, msg, participant } from '../../../test/fixtures.js';
import { crGet, crKeys } from './chunkedRecord.js';

const me = 'alice';
const apply = (s: StoreState, ...actions: StoreAction[]) => reduceBatch(s, actions, me);

function withConversations(...cs: ReturnType<typeof conv>[]): StoreState {
  return apply(initialStoreState, { type: 'conversationsPageLoaded', items: cs, asOfSeq: 0 });
}

describe('rootReducer (STORE-1)', () => {
  it('PERF-3: reports the keys a batch changed, and only those (keyed observers are notified by them)', () => {
    const s = withConversations(conv('c1'), conv('c2'), conv('c3'));
    const reduce = (state: StoreState, ...actions: StoreAction[]) => {
      const changes: BatchChanges = { conversations: new Set(), users: new Set() };
      return { state: reduceBatch(state, actions, me, undefined, changes), changes };
    };
    // A page reports the conversations it changed, not the ones it listed unchanged.
    const page = reduce(s, { type: 'conversationsPageLoaded', items: [conv('c1'), conv('c2', { friendlyName: 'new', version: 2 })], asOfSeq: 0 });
    expect([...page.changes.conversations]).toEqual(['c2']);
    // A synced list reports what it removed, not every conversation held.
    const synced = reduce(s, { type: 'conversationsListSynced', listed: ['c1', 'c3'], asOfSeq: 0 });
    expect([...synced.changes.conversations]).toEqual(['c2']);
    expect(crGet(synced.state.conversations.entities, 'c2')).toBeUndefined();
    // Events report the conversation they name; user actions the identities.
    const events = reduce(
      s,
      { type: 'messageAdded', seq: 1, message: msg('c3', 0) },
      { type: 'typingSignal', conversationSid: 'c1', identity: 'bob', at: 1 },
      { type: 'usersLoaded', users: [] },
      { type: 'userUnwatched', identity: 'carol' },
    );
    expect([...events.changes.conversations].sort()).toEqual(['c1', 'c3']);
    expect([...events.changes.users]).toEqual(['carol']);
  });

  it('STORE-1: a no-op batch returns the same state reference', () => {
    const s = withConversations(conv('c1'));
    expect(apply(s, { type: 'conversationsPageLoaded', items: [conv('c1')], asOfSeq: 0 })).toBe(s);
    expect(apply(s, { type: 'typingExpired', conversationSid: 'c1', identity: 'bob', at: 1 })).toBe(s);
    expect(apply(s, { type: 'messageRemovedLocally', conversationSid: 'c1', index: 3 })).toBe(s);
    expect(reduceBatch(s, [], me)).toBe(s);
  });

  it('STORE-1: an entity-only update keeps ids and unrelated slices by identity', () => {
    const s = withConversations(conv('c1', { createdAt: 2000 }), conv('c2'));
    const next = apply(s, { type: 'conversationUpdated', seq: 1, conversation: conv('c2', { friendlyName: 'x', version: 2 }), updateReasons: ['friendlyName'] });
    expect(next).not.toBe(s);
    expect(next.conversations.ids).toBe(s.conversations.ids);
    expect(crGet(next.conversations.entities, 'c1')).toBe(crGet(s.conversations.entities, 'c1'));
    expect(crGet(next.conversations.entities, 'c2')!.friendlyName).toBe('x');
    expect(next.windows).toBe(s.windows);
    expect(next.participants).toBe(s.participants);
    expect(next.users).toBe(s.users);
    expect(next.me).toBe(s.me);
  });

  it('STORE-2: ids are sorted by activity (lastMessageAt ?? createdAt) desc; a new message moves a conversation up', () => {
    const s = withConversations(conv('a', { createdAt: 1 }), conv('b', { createdAt: 3 }), conv('c', { createdAt: 2 }));
    expect(s.conversations.ids).toEqual(['b', 'c', 'a']);
    const next = apply(s, { type: 'messageAdded', seq: 5, message: msg('a', 0, { createdAt: 10 }) });
    expect(next.conversations.ids).toEqual(['a', 'b', 'c']);
    const a = crGet(next.conversations.entities, 'a')!;
    expect([a.lastMessageIndex, a.lastMessageAt, a.messagesCount, a.membership!.unreadMessagesCount]).toEqual([0, 10, 1, 1]);
  });

  it('derives unread only for messages by others above the read horizon', () => {
    let s = withConversations(conv('a', { membership: { role: 'member', roleSid: 'RL00000000000000000000000000000001', lastReadMessageIndex: 4, notificationLevel: 'default', unreadMessagesCount: 0 } }));
    s = apply(s, { type: 'messageAdded', seq: 1, message: msg('a', 5, { author: me }) }, { type: 'messageAdded', seq: 2, message: msg('a', 6) });
    expect(crGet(s.conversations.entities, 'a')!.membership!.unreadMessagesCount).toBe(1);
    expect(crGet(s.conversations.entities, 'a')!.messagesCount).toBe(2);
  });

  it('STORE-8: participantJoined/Left keep participantsCount current, each counted once', () => {
    const count = (s: StoreState, sid = 'c') => crGet(s.conversations.entities, sid)!.participantsCount;
    let s = withConversations(conv('c', { participantsCount: 2 }));
    s = apply(s, { type: 'participantJoined', seq: 5, participant: participant('c', 'carol') });
    expect(count(s)).toBe(3);
    s = apply(s, { type: 'participantLeft', seq: 6, conversationSid: 'c', identity: 'bob', sid: 'c-p-bob' });
    expect(count(s)).toBe(2);
    // A page read at seq 8 already counts the join at seq 7, which arrives after it: not counted again.
    s = apply(s, { type: 'conversationsPageLoaded', items: [conv('c', { participantsCount: 3, version: 3 })], asOfSeq: 8 });
    expect(count(s)).toBe(3);
    const settled = s;
    s = apply(s, { type: 'participantJoined', seq: 7, participant: participant('c', 'dave') });
    expect(count(s)).toBe(3);
    expect(s.conversations).toBe(settled.conversations);
    s = apply(s, { type: 'participantJoined', seq: 9, participant: participant('c', 'erin') });
    expect(count(s)).toBe(4);
    // The user's own join is in the `conversationAdded` snapshot right before it.
    s = apply(s, { type: 'conversationAdded', seq: 10, conversation: conv('d', { participantsCount: 3 }) }, { type: 'participantJoined', seq: 11, participant: participant('d', me) });
    expect(count(s, 'd')).toBe(3);
    // Never below zero, whatever a server says.
    s = apply(withConversations(conv('e', { participantsCount: 0 })), { type: 'participantLeft', seq: 1, conversationSid: 'e', identity: 'x', sid: 'x' });
    expect(count(s, 'e')).toBe(0);
  });

  it('STORE-8: a message already counted by a page read after it is not counted twice', () => {
    let s = withConversations(conv('c'));
    s = apply(s, { type: 'conversationsPageLoaded', items: [conv('c', { messagesCount: 1, lastMessageIndex: 0, lastMessageAt: 10_000, version: 2, membership: { role: 'admin', roleSid: 'RL00000000000000000000000000000002', lastReadMessageIndex: null, notificationLevel: 'default', unreadMessagesCount: 1 } })], asOfSeq: 4 });
    s = apply(s, { type: 'messageAdded', seq: 4, message: msg('c', 0) });
    const c = crGet(s.conversations.entities, 'c')!;
    expect([c.messagesCount, c.membership!.unreadMessagesCount]).toEqual([1, 1]);
    s = apply(s, { type: 'messageAdded', seq: 5, message: msg('c', 1) });
    expect(crGet(s.conversations.entities, 'c')!.messagesCount).toBe(2);
  });

  it('STORE-9: removing an unread message corrects the unread count even when no window holds it (the event names the author)', () => {
    let s = withConversations(conv('a'));
    s = apply(s, { type: 'messageAdded', seq: 1, message: msg('a', 0) }, { type: 'messageAdded', seq: 2, message: msg('a', 1, { author: me }) });
    expect(crGet(s.conversations.entities, 'a')!.membership!.unreadMessagesCount).toBe(1);
    s = apply(s, { type: 'messageRemoved', seq: 3, conversationSid: 'a', sid: 'a-m1', index: 1, version: 2, author: me });
    expect(crGet(s.conversations.entities, 'a')!.membership!.unreadMessagesCount).toBe(1); // my own was never unread
    s = apply(s, { type: 'messageRemoved', seq: 4, conversationSid: 'a', sid: 'a-m0', index: 0, version: 2, author: 'bob' });
    expect(crGet(s.conversations.entities, 'a')!.membership!.unreadMessagesCount).toBe(0);
    expect(crGet(s.conversations.entities, 'a')!.messagesCount).toBe(0);
  });

  it('STORE-2: a page read before a live event does not regress or resurrect', () => {
    let s = withConversations();
    s = apply(s, { type: 'conversationAdded', seq: 10, conversation: conv('c1', { friendlyName: 'live', version: 2 }) });
    s = apply(s, { type: 'conversationAdded', seq: 11, conversation: conv('c2') }, { type: 'conversationRemoved', seq: 12, sid: 'c2', reason: 'left' });
    const page = apply(s, { type: 'conversationsPageLoaded', items: [conv('c1', { friendlyName: 'stale', version: 1 }), conv('c2')], asOfSeq: 9 });
    expect(page).toBe(s);
    // A page read after the events applies.
    const fresh = apply(s, { type: 'conversationsPageLoaded', items: [conv('c1', { friendlyName: 'newer', version: 3 })], asOfSeq: 12 });
    expect(crGet(fresh.conversations.entities, 'c1')!.friendlyName).toBe('newer');
  });

  it('STORE-2: list sync drops conversations neither listed nor touched after the read', () => {
    let s = withConversations(conv('old'), conv('kept'));
    s = apply(s, { type: 'conversationAdded', seq: 20, conversation: conv('late') });
    s = apply(s, { type: 'conversationsListSynced', listed: ['kept'], asOfSeq: 15 });
    expect(s.conversations.ids.slice().sort()).toEqual(['kept', 'late']);
  });

  it('STORE-5: messages are version-guarded and removals leave tombstones', () => {
    let s = apply(withConversations(conv('c')), { type: 'windowOpened', conversationSid: 'c' });
    s = apply(s, { type: 'messageAdded', seq: 1, message: msg('c', 0) }, { type: 'messageUpdated', seq: 2, message: msg('c', 0, { body: 'v2', version: 2 }), updateReasons: ['body'] });
    const w1 = s.windows.c!;
    expect((entryAt(w1, 0) as { body: string }).body).toBe('v2');
    const stale = apply(s, { type: 'messagesPageLoaded', conversationSid: 'c', items: [msg('c', 0)], direction: 'backwards', reset: false, hasMore: false });
    expect(stale.windows.c!.chunks).toBe(w1.chunks);
    s = apply(s, { type: 'messageRemoved', seq: 3, conversationSid: 'c', sid: 'c-m0', index: 0, version: 3 });
    expect(s.windows.c!.count).toBe(0);
    const again = apply(s, { type: 'messagesPageLoaded', conversationSid: 'c', items: [msg('c', 0, { version: 2 })], direction: 'backwards', reset: false, hasMore: false });
    expect(again.windows.c!.count).toBe(0);
    expect(again.windows.c!.chunks).toBe(s.windows.c!.chunks);
  });

  it('STORE-5: a page in flight cannot bring back the older version of a message updated or removed outside the window', () => {
    let s = apply(withConversations(conv('c')), { type: 'windowOpened', conversationSid: 'c' }, { type: 'messageAdded', seq: 1, message: msg('c', 50) });
    s = apply(s, { type: 'pageRequested', conversationSid: 'c', direction: 'backwards' });
    s = apply(s, { type: 'messageUpdated', seq: 2, message: msg('c', 10, { version: 2, body: 'new' }), updateReasons: ['body'] });
    s = apply(s, { type: 'messageRemoved', seq: 3, conversationSid: 'c', sid: 'c-m11', index: 11, version: 2 });
    s = apply(
      s,
      { type: 'messagesPageLoaded', conversationSid: 'c', items: [msg('c', 10), msg('c', 11), msg('c', 12)], direction: 'backwards', reset: false, hasMore: true },
      { type: 'pageSettled', conversationSid: 'c', direction: 'backwards' },
    );
    // The page read before the events: 10 shows the newer copy, 11 stays removed.
    expect((entryAt(s.windows.c!, 10) as { body: string }).body).toBe('new');
    expect(entryAt(s.windows.c!, 11)).toBeNull();
    expect(entryAt(s.windows.c!, 12)).not.toBeNull();
    expect(lowestIndex(s.windows.c!)).toBe(10);
    expect(s.windows.c!.hasOlder).toBe(true);
    // Nothing is in flight any more: what was kept aside for the page is released.
    expect(s.windows.c!.outside).toEqual({});
  });

  it('PERF-1: an append copies one chunk; other chunks keep identity', () => {
    let s = apply(withConversations(conv('c')), { type: 'windowOpened', conversationSid: 'c' });
    const items = Array.from({ length: 600 }, (_, i) => msg('c', i));
    s = apply(s, { type: 'messagesPageLoaded', conversationSid: 'c', items, direction: 'backwards', reset: false, hasMore: false });
    const before = s.windows.c!;
    const after = apply(s, { type: 'messageAdded', seq: 1, message: msg('c', 600) }).windows.c!;
    expect(after.chunks[0]).toBe(before.chunks[0]);
    expect(after.chunks[1]).toBe(before.chunks[1]);
    expect(after.chunks[2]).not.toBe(before.chunks[2]);
    expect(after.count).toBe(601);
    expect(highestIndex(after)).toBe(600);
  });

  it('STORE-7: the confirmed message replaces its optimistic copy', () => {
    let s = withConversations(conv('c'));
    s = apply(s, {
      type: 'sendQueued',
      pending: { idempotencyKey: 'k1', conversationSid: 'c', author: me, body: 'hi', attributes: {}, createdAt: 1, status: 'sending', error: null },
    });
    expect(s.windows.c!.pending).toHaveLength(1);
    s = apply(s, { type: 'messageAdded', seq: 1, message: msg('c', 0, { idempotencyKey: 'k1', author: me }) });
    expect(s.windows.c!.pending).toHaveLength(0);
    expect(s.windows.c!.count).toBe(1);
    const again = apply(s, { type: 'sendSucceeded', message: msg('c', 0, { idempotencyKey: 'k1', author: me }) });
    expect(again).toBe(s);
  });

  it('STORE-12: trimming keeps the newest N', () => {
    let s = apply(withConversations(conv('c')), { type: 'windowOpened', conversationSid: 'c' });
    s = apply(s, { type: 'messagesPageLoaded', conversationSid: 'c', items: Array.from({ length: 1000 }, (_, i) => msg('c', i)), direction: 'backwards', reset: false, hasMore: false });
    s = apply(s, { type: 'windowTrimmed', conversationSid: 'c', keep: 100 });
    const w = s.windows.c!;
    expect(w.count).toBe(100);
    expect(lowestIndex(w)).toBe(900);
    expect(w.chunks.length).toBe(1);
    expect(w.hasOlder).toBe(true);
  });

  it('STORE-9: roster merges list and live events by asOfSeq', () => {
    let s = apply(withConversations(conv('c')), { type: 'participantsRequested', conversationSid: 'c' });
    s = apply(s, { type: 'participantJoined', seq: 12, participant: participant('c', 'carol') });
    s = apply(s, { type: 'participantLeft', seq: 13, conversationSid: 'c', identity: 'dave', sid: 'x' });
    s = apply(s, { type: 'participantsLoaded', conversationSid: 'c', items: [participant('c', 'alice'), participant('c', 'dave')], asOfSeq: 11 });
    expect(crKeys(s.participants.c!.entities).sort()).toEqual(['alice', 'carol']);
    expect(s.participants.c!.loaded).toBe(true);
  });

  it('STORE-9: typing starts on a signal, ends on expiry of that signal or a message from the typist', () => {
    let s = withConversations(conv('c'));
    s = apply(s, { type: 'typingSignal', conversationSid: 'c', identity: 'bob', at: 1 }, { type: 'typingSignal', conversationSid: 'c', identity: me, at: 1 });
    expect(s.typing).toEqual({ c: { bob: 1 } });
    s = apply(s, { type: 'typingSignal', conversationSid: 'c', identity: 'bob', at: 5 });
    expect(apply(s, { type: 'typingExpired', conversationSid: 'c', identity: 'bob', at: 1 })).toBe(s);
    expect(apply(s, { type: 'typingExpired', conversationSid: 'c', identity: 'bob', at: 5 }).typing).toEqual({});
    expect(apply(s, { type: 'messageAdded', seq: 1, message: msg('c', 0, { author: 'bob' }) }).typing).toEqual({});
  });

  it('removing a conversation drops its window, roster and typing', () => {
    let s = withConversations(conv('c'));
    s = apply(s, { type: 'windowOpened', conversationSid: 'c' }, { type: 'participantsRequested', conversationSid: 'c' }, { type: 'typingSignal', conversationSid: 'c', identity: 'bob', at: 1 });
    s = apply(s, { type: 'conversationRemoved', seq: 3, sid: 'c', reason: 'deleted' });
    expect([s.conversations.ids, s.windows, s.participants, s.typing]).toEqual([[], {}, {}, {}]);
  });
});

describe('rootReducer: a run of messageAdded in one batch (PERF-2)', () => {
  it('PERF-2, STORE-3: a run of messageAdded in one batch gives the counts a plain model gives, and what one batch per event gives (property)', () => {
    const sids = ['c1', 'c2', 'c3'];
    const added = fc.record({
      sid: fc.constantFrom(...sids),
      // Stale or repeated sequence numbers are part of the input: they must change nothing.
      seq: fc.integer({ min: 1, max: 40 }),
      index: fc.integer({ min: 0, max: 30 }),
      mine: fc.boolean(),
      createdAt: fc.integer({ min: 1, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(added, { minLength: 2, maxLength: 30 }), fc.integer({ min: 0, max: 10 }), (events, asOfSeq) => {
        // c1 and c2 come from a page read at asOfSeq (events at or below it are already counted); c3 is
        // unknown to the store.
        const member = { role: 'member' as const, roleSid: 'RL00000000000000000000000000000001', lastReadMessageIndex: 5, notificationLevel: 'default' as const, unreadMessagesCount: 0 };
        const start = apply(initialStoreState, { type: 'conversationsPageLoaded', items: [conv('c1', { membership: member }), conv('c2')], asOfSeq });
        const actions: StoreAction[] = events.map((e) => ({
          type: 'messageAdded',
          seq: e.seq,
          message: msg(e.sid, e.index, { author: e.mine ? me : 'bob', createdAt: e.createdAt }),
        }));
        const folded = reduceBatch(start, actions, me);
        const oneByOne = actions.reduce((s, a) => reduceBatch(s, [a], me), start);
        expect(folded.conversations.ids).toEqual(oneByOne.conversations.ids);
        for (const sid of sids) {
          expect(crGet(folded.conversations.entities, sid)).toEqual(crGet(oneByOne.conversations.entities, sid));
          expect(crGet(folded.conversations.lastSeq, sid)).toEqual(crGet(oneByOne.conversations.lastSeq, sid));
        }
        expect(folded.sync.headSeq).toBe(oneByOne.sync.headSeq);
        // An oracle that shares no code with the reducer: per conversation, events above the last seen
        // seq count once; the highest index is the last message; unread are others' above the horizon.
        const lastRead: Record<string, number | null> = { c1: 5, c2: null };
        for (const sid of ['c1', 'c2']) {
          let seen = asOfSeq;
          const model = { lastMessageIndex: null as number | null, lastMessageAt: null as number | null, messagesCount: 0, unread: 0 };
          for (const e of events.filter((x) => x.sid === sid)) {
            if (e.seq <= seen) continue;
            seen = e.seq;
            if (model.lastMessageIndex === null || e.index > model.lastMessageIndex) {
              model.lastMessageIndex = e.index;
              model.lastMessageAt = e.createdAt;
            }
            model.messagesCount += 1;
            if (!e.mine && (lastRead[sid] === null || e.index > lastRead[sid]!)) model.unread += 1;
          }
          const got = crGet(folded.conversations.entities, sid)!;
          expect({ lastMessageIndex: got.lastMessageIndex, lastMessageAt: got.lastMessageAt, messagesCount: got.messagesCount, unread: got.membership!.unreadMessagesCount }).toEqual(model);
          expect(crGet(folded.conversations.lastSeq, sid)).toBe(seen);
        }
        expect(crGet(folded.conversations.entities, 'c3')).toBeUndefined();
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
