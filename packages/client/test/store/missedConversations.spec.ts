// STORE-2 / Twilio's "missed conversations" trap: an event for a conversation the store does not hold
// yet (the user was just added and the event overtook `conversationAdded`, or the list was read before
// it) must not be lost: the client fetches the conversation and adds it. Also STORE-8/9: participant
// events keep the conversation's `participantsCount` current. Scripted session (FakeCore), virtual time.
import { describe, expect, it } from '@jest/globals';
import type { Conversation } from '@rx-conversations/protocol';
import { ConversationsError } from '../../src/ConversationsError.js';
import type { ConversationUpdatedEvent } from '../../src/ClientEvents.js';
import type { Logger } from '../../src/Logger.js';
import { useFakeSessions, type Handler } from '../fakeSessions.js';
import { conv, msg, participant } from '../fixtures.js';

const { setup: start, record, keep } = useFakeSessions();
const setup = (handler: Handler, logger?: Logger) => start(handler, logger ? { logger } : {});

const sids = (list: readonly Conversation[]) => list.map((c) => c.sid);
const membership = (unread: number) => ({ role: 'member' as const, roleSid: 'RL00000000000000000000000000000001', lastReadMessageIndex: null, notificationLevel: 'default' as const, unreadMessagesCount: unread });

/** A deferred value a handler can wait on. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}

describe('events for conversations the store does not know (STORE-2)', () => {
  it('STORE-2: a messageAdded for an unknown conversation fetches it once and adds it to conversations$', async () => {
    const fetched = gate();
    const { core, client, clock } = setup(async (op, args) => {
      if (op === 'conversations.list') return { items: [conv('a', { createdAt: 1 })], asOfSeq: 0, nextCursor: null };
      if (op === 'conversations.get') {
        await fetched.promise;
        return conv(args.sid, { createdAt: 2, lastMessageIndex: 1, lastMessageAt: 10_001, messagesCount: 2, membership: membership(2) });
      }
      return null;
    });
    core.welcome();
    await clock.tick();
    const added = record(client.conversationAdded$);
    const lists = record(client.conversations$);
    core.emit({ kind: 'messageAdded', data: { message: msg('b', 0) } });
    core.emit({ kind: 'messageAdded', data: { message: msg('b', 1) } }); // while the fetch is in flight: no second request
    expect(core.callsOf('conversations.get').map((c) => c.args)).toEqual([{ sid: 'b' }]);
    fetched.open();
    await clock.tick();
    expect(sids(lists.at(-1)!)).toEqual(['b', 'a']);
    expect(added.map((c) => c.sid)).toEqual(['b']);
    // Both messages arrived during the first read, so it was read again; the snapshot counts them once.
    expect(core.callsOf('conversations.get')).toHaveLength(2);
    const b = client.conversation('b').state!;
    expect([b.lastMessageIndex, b.messagesCount, b.membership!.unreadMessagesCount]).toEqual([1, 2, 2]);
    // From now on it is derived from events like any other.
    core.emit({ kind: 'messageAdded', data: { message: msg('b', 2) } });
    expect(client.conversation('b').state!.messagesCount).toBe(3);
    expect(core.callsOf('conversations.get')).toHaveLength(2);
  });

  it('STORE-2: an event during the first synchronisation waits for the list, and is fetched only if the list missed it', async () => {
    const listed = gate();
    const { core, client, clock } = setup(async (op, args) => {
      if (op === 'conversations.list') {
        await listed.promise;
        // Read before the events below: its copy of b is older than them, so the store does not take it.
        return { items: [conv('a'), conv('b')], asOfSeq: 0, nextCursor: null };
      }
      if (op === 'conversations.get') return conv(args.sid, { lastMessageIndex: 0, messagesCount: 1, membership: membership(1) });
      return null;
    });
    // What conversations$ holds when synchronisation says `completed`.
    let atCompleted: string[] | null = null;
    let latest: readonly Conversation[] = [];
    keep(client.conversations$.subscribe((l) => (latest = l)));
    keep(client.synchronization$.subscribe((s) => {
      if (s === 'completed') atCompleted = sids(latest).sort();
    }));
    core.welcome();
    await clock.tick();
    core.emit({ kind: 'messageAdded', data: { message: msg('b', 0) } });
    core.emit({ kind: 'participantJoined', data: { participant: participant('c', 'carol') } });
    await clock.tick();
    expect(core.callsOf('conversations.get')).toHaveLength(0); // the list may well bring them
    listed.open();
    await clock.tick();
    expect(core.callsOf('conversations.get').map((c) => c.args)).toEqual([{ sid: 'b' }, { sid: 'c' }]);
    // `completed` waited for them: the list is whole when whenSynchronized() resolves.
    expect(atCompleted).toEqual(['a', 'b', 'c']);
    expect(client.conversation('b').state!.messagesCount).toBe(1);
  });

  it('STORE-2: a list read after the event brings the conversation itself: no extra request', async () => {
    const listed = gate();
    const { core, client, clock } = setup(async (op) => {
      if (op === 'conversations.list') {
        await listed.promise;
        return { items: [conv('b', { lastMessageIndex: 0, messagesCount: 1 })], asOfSeq: core.headSeq, nextCursor: null };
      }
      return null;
    });
    core.welcome();
    await clock.tick();
    core.emit({ kind: 'messageAdded', data: { message: msg('b', 0) } });
    listed.open();
    await clock.tick();
    expect(client.conversation('b').state!.messagesCount).toBe(1);
    expect(core.callsOf('conversations.get')).toHaveLength(0);
  });

  it('STORE-2: a removal while the fetch is in flight wins; a failed fetch is reported, not thrown', async () => {
    const fetched = gate();
    const warnings: string[] = [];
    const logger: Logger = { error: () => undefined, warn: (m) => warnings.push(m), info: () => undefined, debug: () => undefined, trace: () => undefined };
    const { core, client, clock } = setup(async (op, args) => {
      if (op === 'conversations.list') return { items: [], asOfSeq: 0, nextCursor: null };
      if (op === 'conversations.get' && args.sid === 'b') {
        await fetched.promise;
        return conv('b');
      }
      if (op === 'conversations.get') throw new ConversationsError('not_a_participant');
      return null;
    }, logger);
    core.welcome();
    await clock.tick();
    core.emit({ kind: 'messageAdded', data: { message: msg('b', 0) } });
    core.emit({ kind: 'conversationRemoved', data: { sid: 'b', reason: 'removed' } });
    fetched.open();
    core.emit({ kind: 'messageAdded', data: { message: msg('x', 0) } });
    await clock.tick();
    expect(sids(await new Promise<readonly Conversation[]>((r) => keep(client.conversations$.subscribe(r))))).toEqual([]);
    expect(warnings).toEqual(['conversations.get failed for x']);
  });
});

describe('participantsCount follows participant events (STORE-8, STORE-9)', () => {
  it('STORE-8: participantJoined/Left update state$ and conversationUpdated$ says participantsCount', async () => {
    const { core, client, clock } = setup((op) => (op === 'conversations.list' ? { items: [conv('a', { participantsCount: 2 })], asOfSeq: 0, nextCursor: null } : null));
    core.welcome();
    await clock.tick();
    const updates = record<ConversationUpdatedEvent>(client.conversationUpdated$);
    const counts = record(client.conversation('a').state$);
    core.emit({ kind: 'participantJoined', data: { participant: participant('a', 'carol') } });
    core.emit({ kind: 'participantJoined', data: { participant: participant('a', 'dave') } }, { kind: 'participantLeft', data: { conversationSid: 'a', identity: 'bob', sid: 'a-p-bob' } });
    expect(counts.map((c) => c!.participantsCount)).toEqual([2, 3, 3]);
    expect(updates.map((u) => u.updateReasons)).toEqual([['participantsCount']]);
    core.emit({ kind: 'participantLeft', data: { conversationSid: 'a', identity: 'carol', sid: 'a-p-carol' } });
    expect(counts.at(-1)!.participantsCount).toBe(2);
  });
});
