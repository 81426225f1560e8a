import { describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import type { Conversation, Message, OpName } from '@rx-conversations/protocol';
import { ConversationsClient } from './ConversationsClient.js';
import { ConversationsError } from './ConversationsError.js';
import type { MessageView } from './MessageView.js';
import { FakeCore } from '../test/FakeCore.js';
import { useFakeSessions, type Handler } from '../test/fakeSessions.js';
import { conv, msg, participant, user } from '../test/fixtures.js';

const { setup, record, unsubscribeAll } = useFakeSessions();

const sids = (list: readonly Conversation[]) => list.map((c) => c.sid);
const indices = (list: readonly MessageView[]) => list.map((m) => m.index);

/** A handler that pages `all` two at a time at `asOfSeq`. */
function listing(pages: { items: Conversation[]; asOfSeq: number }[], rest: Handler = () => null): Handler {
  return (op, args, core) => {
    if (op === 'conversations.list') {
      const i = args.cursor === undefined ? 0 : Number(args.cursor);
      const page = pages[i]!;
      return { items: page.items, asOfSeq: page.asOfSeq, nextCursor: i + 1 < pages.length ? String(i + 1) : null };
    }
    return rest!(op, args, core);
  };
}

describe('ConversationsClient store (fake session)', () => {
  it('CONN-6: synchronisation pages the list, then conversationsListCompleted → completed', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }, { items: [conv('b')], asOfSeq: 0 }]));
    const statuses = record(client.synchronization$);
    core.welcome();
    await clock.tick();
    expect(statuses).toEqual(['started', 'conversationsListCompleted', 'completed']);
    expect(core.callsOf('conversations.list').map((c) => c.args)).toEqual([{ pageSize: 100 }, { pageSize: 100, cursor: '1' }]);
    await expect(client.whenSynchronized()).resolves.toBeUndefined();
  });

  it('ROBUST-3: a failed synchronisation is retried with back-off, not left failed until a reconnect', async () => {
    let failures = 5;
    const list = listing([{ items: [conv('a')], asOfSeq: 0 }]);
    const { core, client, clock } = setup((op, args, c) => {
      if (op === 'conversations.list' && failures-- > 0) throw new ConversationsError('internal_error', 'the database is busy');
      return list!(op, args, c);
    }, { random: () => 0 });
    const statuses = record(client.synchronization$);
    const lists = record(client.conversations$);
    core.welcome();
    // Five refusals: the first read and its four quick retries (250 ms … 2 s) fail, so the synchronisation fails…
    await clock.tick(3_750);
    expect(statuses).toEqual(['started', 'failed']);
    // …and is tried again a second later, on the same connection.
    await clock.tick(999);
    expect(statuses).toEqual(['started', 'failed']);
    await clock.tick(1);
    expect(statuses).toEqual(['started', 'failed', 'started', 'conversationsListCompleted', 'completed']);
    expect(sids(lists[lists.length - 1]!)).toEqual(['a']);
    expect(core.callsOf('conversations.list')).toHaveLength(6);
  });

  it('ROBUST-3: the retry backs off while the synchronisation keeps failing, and a new session cancels it', async () => {
    const { core, client, clock } = setup((op) => {
      if (op === 'conversations.list') throw new ConversationsError('not_found', 'nothing here');
      return null;
    }, { random: () => 0 });
    const statuses = record(client.synchronization$);
    core.welcome();
    await clock.tick(0);
    const attempts = () => core.callsOf('conversations.list').length;
    // Not retryable at once, so no quick retries: one read per attempt, 1 s, 2 s, 4 s, 8 s apart.
    const seen: number[] = [];
    for (const at of [999, 1, 1_999, 1, 3_999, 1, 7_999, 1]) {
      await clock.tick(at);
      seen.push(attempts());
    }
    expect(seen).toEqual([1, 2, 2, 3, 3, 4, 4, 5]);
    expect(statuses.filter((s) => s === 'failed')).toHaveLength(5);
    core.handler = (op) => (op === 'conversations.list' ? { items: [], asOfSeq: 0, nextCursor: null } : null);
    core.welcome('resync');
    await clock.tick(0);
    const calls = core.callsOf('conversations.list').length;
    expect(statuses[statuses.length - 1]).toBe('completed');
    await clock.tick(120_000);
    expect(core.callsOf('conversations.list')).toHaveLength(calls);
  });

  it('STORE-2: a conversation added while the list is being paged appears exactly once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { core, client, clock } = setup(async (op, args) => {
      if (op !== 'conversations.list') return null;
      if (args.cursor === undefined) return { items: [conv('a', { createdAt: 1 })], asOfSeq: 0, nextCursor: '1' };
      await gate;
      return { items: [conv('a', { createdAt: 1 }), conv('late', { createdAt: 5 })], asOfSeq: 1, nextCursor: null };
    });
    const lists = record(client.conversations$);
    const added = record(client.conversationAdded$);
    core.welcome();
    await clock.tick();
    core.emit({ kind: 'conversationAdded', data: { conversation: conv('late', { createdAt: 5 }) } });
    release();
    await clock.tick();
    expect(sids(lists.at(-1)!)).toEqual(['late', 'a']);
    expect(added.map((c) => c.sid)).toEqual(['a', 'late']);
    // A late subscriber gets the current list at once.
    expect(sids(await firstValueFrom(client.conversations$))).toEqual(['late', 'a']);
  });

  it('STORE-2: a page arriving after overlapping live events changes nothing it should not; removed stays removed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { core, client, clock } = setup(async (op) => {
      if (op !== 'conversations.list') return null;
      await gate;
      // Read at seq 0: before the update and the removal below.
      return { items: [conv('a', { friendlyName: 'old' }), conv('gone')], asOfSeq: 0, nextCursor: null };
    });
    core.welcome();
    await clock.tick();
    core.emit({ kind: 'conversationAdded', data: { conversation: conv('a', { friendlyName: 'new', version: 2 }) } });
    core.emit({ kind: 'conversationAdded', data: { conversation: conv('gone') } });
    core.emit({ kind: 'conversationRemoved', data: { sid: 'gone', reason: 'left' } });
    const before = await firstValueFrom(client.conversations$);
    release();
    await clock.tick();
    const after = await firstValueFrom(client.conversations$);
    expect(sids(after)).toEqual(['a']);
    expect(after[0]!.friendlyName).toBe('new');
    expect(after[0]).toBe(before[0]);
  });

  it('STORE-3: messageAdded derives lastMessage and unread; conversationUpdated$ says lastMessage', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }]));
    core.welcome();
    await clock.tick();
    const updates = record(client.conversationUpdated$);
    const added = record(client.messageAdded$);
    core.emit({ kind: 'messageAdded', data: { message: msg('a', 0) } });
    const c = client.conversation('a').state!;
    expect([c.lastMessageIndex, c.messagesCount, c.membership!.unreadMessagesCount]).toEqual([0, 1, 1]);
    expect(updates.map((u) => u.updateReasons)).toEqual([['lastMessage']]);
    expect(added.map((m) => m.index)).toEqual([0]);
  });

  it('STORE-4: conversation(sid) returns the same handle while in use', () => {
    const { client } = setup(() => null);
    expect(client.conversation('x')).toBe(client.conversation('x'));
    expect(client.conversation('x')).not.toBe(client.conversation('y'));
  });

  it('STORE-5: with initialPageSize 0, history is fetched only when asked; pages merge with live events, version-guarded', async () => {
    const pages: Message[][] = [];
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], (op) => {
      if (op === 'messages.list') return { items: pages.shift() ?? [], hasMore: true, asOfSeq: 0 };
      return null;
    }), { initialPageSize: 0 });
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const seen = record(h.messages$);
    expect(core.callsOf('messages.list')).toHaveLength(0);
    core.emit({ kind: 'messageAdded', data: { message: msg('a', 10) } });
    core.emit({ kind: 'messageUpdated', data: { message: msg('a', 9, { body: 'edited', version: 2 }), updateReasons: ['body'] } });
    pages.push([msg('a', 8), msg('a', 9), msg('a', 10)]); // read before the edit
    await h.loadOlder(3);
    expect(core.callsOf('messages.list')[0]!.args).toEqual({ sid: 'a', pageSize: 3, direction: 'backwards', anchor: 10 });
    const last = seen.at(-1)!;
    // 9 was edited after the read: the stale copy is refused, the edited one shown (no hole).
    expect(last.map((m) => [m.index, m.body])).toEqual([[8, 'body 8'], [9, 'edited'], [10, 'body 10']]);
    core.emit({ kind: 'messageRemoved', data: { conversationSid: 'a', sid: 'a-m8', index: 8, version: 2 } });
    expect(indices(seen.at(-1)!)).toEqual([9, 10]);
    expect(seen.at(-1)![1]).toBe(last[2]); // unchanged messages keep their view object
  });

  it('STORE-6: a command resolves with its effect in the store even if the event is late', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], (op, args) => {
      if (op === 'conversations.update') return conv('a', { friendlyName: args.friendlyName, version: 2 });
      if (op === 'conversations.setLastRead') return conv('a', { friendlyName: 'renamed', version: 2, membership: { role: 'admin', roleSid: 'RL00000000000000000000000000000002', lastReadMessageIndex: 4, notificationLevel: 'default', unreadMessagesCount: 0 } });
      return null;
    }));
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    await h.updateFriendlyName('renamed');
    expect(h.state!.friendlyName).toBe('renamed');
    await h.advanceLastReadMessageIndex(4);
    expect(h.state!.membership!.lastReadMessageIndex).toBe(4);
  });

  it('STORE-7: optimistic send goes sending → sent with no duplicate, whatever arrives first', async () => {
    let resolveSend!: (m: Message) => void;
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], (op) =>
      op === 'messages.send' ? new Promise<Message>((r) => (resolveSend = r)) : null,
    ));
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const seen = record(h.messages$);
    const sent = h.sendMessage('hi');
    const local = seen.at(-1)!;
    expect(local).toHaveLength(1);
    expect(local[0]!.status).toBe('sending');
    const key = local[0]!.key;
    expect((core.callsOf('messages.send')[0]!.args as { idempotencyKey: string }).idempotencyKey).toBe(key);
    const real = msg('a', 0, { author: 'alice', body: 'hi', idempotencyKey: key });
    core.emit({ kind: 'messageAdded', data: { message: real } });
    expect(seen.at(-1)!.map((m) => [m.status, m.index, m.key])).toEqual([['sent', 0, key]]);
    resolveSend(real);
    const result = await sent;
    expect(result.status).toBe('sent');
    expect(result).toBe(seen.at(-1)![0]);
    expect(seen.slice(1).every((list) => list.length === 1)).toBe(true); // after the initial empty window
  });

  it('STORE-7: a failed send shows failed with error, and retry() re-sends with the same key', async () => {
    let fail = true;
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], (op, args) => {
      if (op !== 'messages.send') return null;
      if (fail) throw new ConversationsError('rate_limited');
      return msg('a', 0, { author: 'alice', idempotencyKey: args.idempotencyKey });
    }));
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const seen = record(h.messages$);
    await expect(h.sendMessage({ body: 'x', attributes: { a: 1 } })).rejects.toMatchObject({ code: 'message_send_failed' });
    const failed = seen.at(-1)![0]!;
    if (failed.status !== 'failed') throw new Error('expected failed');
    expect((failed.error.cause as ConversationsError).code).toBe('rate_limited');
    fail = false;
    const done = await failed.retry();
    const keys = core.callsOf('messages.send').map((c) => (c.args as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toEqual([failed.key, failed.key]);
    expect(done.index).toBe(0);
    expect(seen.at(-1)!.map((m) => m.status)).toEqual(['sent']);
  });

  it('STORE-8: counters share one request, refresh no more often than the TTL, and invalidate on events', async () => {
    let n = 0;
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], (op) =>
      op === 'conversations.counts' ? { messagesCount: ++n, participantsCount: 2, unreadMessagesCount: 0 } : null,
    ), { counterTtlMs: 10_000 });
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const a = record(h.messagesCount$);
    const b = record(h.messagesCount$);
    const c = record(h.participantsCount$);
    await clock.tick();
    expect(core.callsOf('conversations.counts')).toHaveLength(1);
    expect([a, b, c]).toEqual([[1], [1], [2]]);
    await clock.tick(9_999);
    expect(core.callsOf('conversations.counts')).toHaveLength(1);
    await clock.tick(1);
    expect(core.callsOf('conversations.counts')).toHaveLength(2);
    expect(a).toEqual([1, 2]);
    unsubscribeAll();
    // Idle: a fresh value is served from the cache...
    await clock.tick(1_000);
    await expect(h.getMessagesCount()).resolves.toBe(2);
    expect(core.callsOf('conversations.counts')).toHaveLength(2);
    // ...but not after a live event made it stale: the next read waits for a new fetch at the TTL
    // (a new participant: the store does not count the roster exactly).
    core.emit({ kind: 'participantJoined', data: { participant: participant('a', 'carol') } });
    const read = h.getMessagesCount();
    await clock.tick(8_999);
    expect(core.callsOf('conversations.counts')).toHaveLength(2);
    await clock.tick(1);
    await expect(read).resolves.toBe(3);
  });

  it('ROBUST-3: a new message moves the counters at once to the store\'s exact counts; the user\'s own read horizon too', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a', { messagesCount: 5, lastMessageIndex: 4 })], asOfSeq: 0 }], (op, args) => {
      if (op === 'conversations.counts') return { messagesCount: 5, participantsCount: 2, unreadMessagesCount: 0 };
      if (op === 'conversations.setLastRead') {
        return conv('a', { messagesCount: 6, lastMessageIndex: 5, version: 3, membership: { role: 'admin', roleSid: 'RL00000000000000000000000000000002', lastReadMessageIndex: args.index, notificationLevel: 'default', unreadMessagesCount: 0 } });
      }
      return null;
    }), { counterTtlMs: 10_000 });
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const messages = record(h.messagesCount$);
    const unread = record(h.unreadMessagesCount$);
    await clock.tick();
    expect([messages, unread]).toEqual([[5], [0]]);
    core.emit({ kind: 'messageAdded', data: { message: msg('a', 5, { author: 'bob' }) } });
    // No fetch, no waiting for the TTL: the store counted the message.
    expect([messages, unread]).toEqual([[5, 6], [0, 1]]);
    await expect(h.getUnreadMessagesCount()).resolves.toBe(1);
    await h.advanceLastReadMessageIndex(5);
    expect(unread).toEqual([0, 1, 0]);
    expect(core.callsOf('conversations.counts')).toHaveLength(1);
  });

  it('STORE-9: typing$ lists typists until the timeout or their next message; typing() is throttled', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }]), { typingTimeoutMs: 5_000, typingThrottleMs: 3_000 });
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const typing = record(h.typing$);
    const started = record(client.typingStarted$);
    core.signal('typing', { conversationSid: 'a', identity: 'bob' });
    core.signal('typing', { conversationSid: 'a', identity: 'carol' });
    await clock.tick(3_000);
    core.signal('typing', { conversationSid: 'a', identity: 'bob' }); // bob keeps typing
    await clock.tick(2_000);
    expect(typing.at(-1)).toEqual(['bob']); // carol timed out at 5 s
    core.emit({ kind: 'messageAdded', data: { message: msg('a', 0, { author: 'bob' }) } });
    expect(typing.at(-1)).toEqual([]);
    expect(started.map((e) => e.identity)).toEqual(['bob', 'carol']);
    await h.typing();
    await h.typing();
    await clock.tick(3_000);
    await h.typing();
    expect(core.callsOf('conversations.typing')).toHaveLength(2);
  });

  it('STORE-9: participants$ is fetched on first subscription and merged with live events', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], async (op) => {
      if (op !== 'participants.list') return null;
      await gate;
      return { items: [participant('a', 'alice'), participant('a', 'bob')], asOfSeq: 0 }; // read before carol joined
    }));
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    expect(core.callsOf('participants.list')).toHaveLength(0);
    const roster = record(h.participants$);
    expect(core.callsOf('participants.list')).toHaveLength(1);
    core.emit({ kind: 'participantJoined', data: { participant: participant('a', 'carol', { joinedAt: 2000 }) } });
    release();
    await clock.tick();
    expect(roster.at(-1)!.map((p) => p.identity)).toEqual(['alice', 'bob', 'carol']);
    core.emit({ kind: 'participantUpdated', data: { participant: participant('a', 'bob', { lastReadMessageIndex: 3, version: 2 }), updateReasons: ['lastReadMessageIndex'] } });
    expect(roster.at(-1)!.find((p) => p.identity === 'bob')!.lastReadMessageIndex).toBe(3);
  });

  it('STORE-12: windows nobody observes are trimmed to the newest N after the grace time', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }], (op, args) =>
      op === 'messages.list' ? { items: Array.from({ length: 100 }, (_, i) => msg('a', args.anchor === undefined ? 200 + i : args.anchor - 100 + i)), hasMore: true, asOfSeq: 0 } : null,
    ), { windowGraceMs: 60_000, windowKeepMessages: 50, initialPageSize: 0 });
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const sub = h.messages$.subscribe();
    await h.loadOlder(100);
    await h.loadOlder(100);
    expect((await firstValueFrom(h.messages$)).length).toBe(200);
    sub.unsubscribe();
    await clock.tick(59_999);
    expect((await firstValueFrom(h.messages$)).length).toBe(200);
    const again = await firstValueFrom(h.messages$); // a look restarts the grace time (from 59,999)
    expect(again.length).toBe(200);
    await clock.tick(60_000);
    const trimmed = await firstValueFrom(h.messages$);
    expect(indices(trimmed)).toEqual(Array.from({ length: 50 }, (_, i) => 250 + i));
  });

  it('STORE-12: each window is trimmed when its own grace time is up, not a whole grace later', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a'), conv('b')], asOfSeq: 0 }], (op, args) =>
      op === 'messages.list' ? { items: Array.from({ length: 100 }, (_, i) => msg(args.sid, i)), hasMore: true, asOfSeq: 0 } : null,
    ), { windowGraceMs: 60_000, windowKeepMessages: 10 });
    core.welcome();
    await clock.tick();
    const [a, b] = [client.conversation('a'), client.conversation('b')];
    const subA = a.messages$.subscribe();
    const subB = b.messages$.subscribe();
    await a.loadOlder(100);
    await b.loadOlder(100);
    subA.unsubscribe(); // a's grace ends at +60 s
    await clock.tick(30_000);
    subB.unsubscribe(); // b's at +90 s
    await clock.tick(30_000);
    expect((await firstValueFrom(a.messages$)).length).toBe(10);
    await clock.tick(30_000); // (not looking at b before: a look restarts its grace time)
    expect((await firstValueFrom(b.messages$)).length).toBe(10);
  });

  it('CONN-5: a resync re-reads the list and the newest page of open windows, then emits discontinuity$', async () => {
    let listed = [conv('a'), conv('b')];
    const { core, client, clock } = setup((op, args) => {
      if (op === 'conversations.list') return { items: listed, asOfSeq: core.headSeq, nextCursor: null };
      if (op === 'messages.list') return { items: [msg('a', 40), msg('a', 41)], hasMore: true, asOfSeq: core.headSeq };
      void args;
      return null;
    });
    core.welcome();
    await clock.tick();
    const h = client.conversation('a');
    const seen = record(h.messages$);
    await h.loadOlder();
    const gaps = record(client.discontinuity$);
    listed = [conv('a')]; // b was removed while we could not replay
    core.welcome('resync');
    await clock.tick();
    expect(sids(await firstValueFrom(client.conversations$))).toEqual(['a']);
    expect(gaps).toEqual([{ reason: 'resync', conversationSids: ['a'] }]);
    expect(indices(seen.at(-1)!)).toEqual([40, 41]);
    expect(await client.whenSynchronized()).toBeUndefined();
  });

  it('PERF-3: an event for one conversation does not notify observers of another', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a'), conv('b')], asOfSeq: 0 }]));
    core.welcome();
    await clock.tick();
    const a = record(client.conversation('a').state$);
    const b = record(client.conversation('b').state$);
    core.emit({ kind: 'messageAdded', data: { message: msg('a', 0) } });
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(1);
  });

  it('STORE-1: one emission per batch, however many events it holds', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a')], asOfSeq: 0 }]));
    core.welcome();
    await clock.tick();
    const states = record(client.conversation('a').state$);
    const lists = record(client.conversations$);
    core.emit(...[0, 1, 2].map((i) => ({ kind: 'messageAdded', data: { message: msg('a', i) } })));
    expect(states).toHaveLength(2);
    expect(lists).toHaveLength(2);
    expect(states[1]!.messagesCount).toBe(3);
  });

  it('STORE-10: getUser watches while observed; userUpdated signals update state$', async () => {
    const { core, client, clock } = setup(listing([{ items: [], asOfSeq: 0 }], (op, args) => {
      if (op === 'users.get') return user(args.identity);
      if (op === 'users.subscribe') return { items: args.identities.map((i: string) => user(i)) };
      if (op === 'users.updateMe') return user('alice', { friendlyName: args.friendlyName, version: 2 });
      return null;
    }));
    core.welcome();
    await clock.tick();
    const bob = await client.getUser('bob');
    expect(await client.getUser('bob')).toBe(bob);
    const states = record(bob.state$);
    await clock.tick();
    core.signal('userUpdated', { user: user('bob', { isOnline: true, version: 2 }), updateReasons: ['isOnline'] });
    expect(states.map((u) => u.isOnline)).toEqual([false, true]);
    unsubscribeAll();
    await clock.tick();
    expect(core.callsOf('users.unsubscribe')).toHaveLength(1);
    const me = await client.updateMyUser({ friendlyName: 'Alice' });
    expect(me.friendlyName).toBe('Alice');
    expect((await firstValueFrom(client.user$)).friendlyName).toBe('Alice');
  });

  it('STORE-11: push registration talks to the server only when the token changed or a day passed', async () => {
    const { core, client, clock } = setup(listing([{ items: [], asOfSeq: 0 }], (op) => (op === 'push.register' ? { registeredAt: 0 } : null)));
    await client.setPushRegistrationId('fcm', 't1');
    await client.setPushRegistrationId('fcm', 't1');
    expect(core.callsOf('push.register')).toHaveLength(1);
    await client.setPushRegistrationId('fcm', 't2');
    expect(core.callsOf('push.register')).toHaveLength(2);
    await clock.tick();
    expect(core.callsOf('push.unregister').map((c) => c.args)).toEqual([{ type: 'fcm', token: 't1' }]);
    await clock.tick(24 * 3600 * 1000);
    await client.setPushRegistrationId('fcm', 't2');
    expect(core.callsOf('push.register')).toHaveLength(3);
  });

  it('STORE-11: handlePushNotification parses and emits; foreign payloads are ignored', () => {
    const { client } = setup(() => null);
    const got = record(client.pushNotification$);
    expect(client.handlePushNotification({ rxc: '1', kind: 'newMessage', conversationSid: 'a', conversationTitle: 'T', messageIndex: '4', body: 'hi', attributes: '{"x":1}' })).toEqual({
      rxc: 1, kind: 'newMessage', conversationSid: 'a', conversationTitle: 'T', messageIndex: 4, body: 'hi', attributes: { x: 1 },
    });
    expect(client.handlePushNotification({ foo: 1 })).toBeNull();
    expect(ConversationsClient.parsePushNotification({ rxc: 1, kind: 'bogus', conversationSid: 'a' })).toBeNull();
    expect(got).toHaveLength(1);
  });

  it('STORE-4: getSubscribedConversations pages through the synchronised list', async () => {
    const { core, client, clock } = setup(listing([{ items: [conv('a', { createdAt: 3 }), conv('b', { createdAt: 2 }), conv('c', { createdAt: 1 })], asOfSeq: 0 }]));
    const pending = client.getSubscribedConversations(2);
    core.welcome();
    await clock.tick();
    const page = await pending;
    expect([sids(page.items), page.hasNextPage]).toEqual([['a', 'b'], true]);
    const next = await page.nextPage();
    expect([sids(next.items), next.hasNextPage, next.hasPrevPage]).toEqual([['c'], false, true]);
  });

  it('CONN-8: shutdown completes observables and later calls reject with client_shut_down', async () => {
    const { client } = setup(() => null);
    let completed = false;
    client.conversations$.subscribe({ complete: () => (completed = true) });
    await client.shutdown();
    expect(completed).toBe(true);
    await expect(client.conversation('a').sendMessage('x')).rejects.toMatchObject({ code: 'client_shut_down' });
    await expect(client.createConversation()).rejects.toMatchObject({ code: 'client_shut_down' });
  });

  it('CONN-1: invalid store options throw TypeError synchronously', () => {
    expect(() => new ConversationsClient(new FakeCore(), { counterTtlMs: -1 }, 'core')).toThrow(TypeError);
    expect(() => new ConversationsClient(new FakeCore(), { storage: {} as never }, 'core')).toThrow(TypeError);
    for (const initialPageSize of [-1, 1.5, 101, Number.NaN]) {
      expect(() => new ConversationsClient(new FakeCore(), { initialPageSize }, 'core')).toThrow(TypeError);
    }
  });
});

export type { OpName };
