// STORE-12 through the public surface: a conversation's observed `messages$` window stays within
// `maxWindowMessages`, over a scripted session (FakeCore) in virtual time.
import { describe, expect, it } from '@jest/globals';
import type { Message } from '@rx-conversations/protocol';
import { ConversationsClient, type ConversationsClientOptions } from '../../src/ConversationsClient.js';
import { FakeCore } from '../FakeCore.js';
import type { MessageView } from '../../src/MessageView.js';
import type { MessagesWindowState } from '../../src/ConversationHandle.js';
import { useFakeSessions, type Handler } from '../fakeSessions.js';
import { conv, msg } from '../fixtures.js';

const { setup: start, record } = useFakeSessions();

const indices = (list: readonly MessageView[]) => list.map((m) => m.index);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * A client over a fake session whose server holds `history` messages of conversation `a`. These tests
 * page the window by hand, so the first subscription loads no page of its own (`initialPageSize: 0`;
 * ROBUST-4 is tested in initialPage.spec.ts).
 */
async function setup(options: Partial<ConversationsClientOptions> = {}, rest: Handler = () => null) {
  const server: Message[] = [];
  const { core, client, clock } = start((op, args, self) => {
    if (op === 'conversations.list') return { items: [conv('a')], asOfSeq: 0, nextCursor: null };
    if (op === 'messages.list') {
      const size: number = args.pageSize;
      if (args.direction === 'forwards') {
        const after = server.filter((m) => m.index > (args.anchor ?? -1));
        return { items: after.slice(0, size), hasMore: after.length > size, asOfSeq: self.headSeq };
      }
      const before = server.filter((m) => m.index < (args.anchor ?? Infinity));
      return { items: before.slice(Math.max(0, before.length - size)), hasMore: before.length > size, asOfSeq: self.headSeq };
    }
    return rest(op, args, self);
  }, { initialPageSize: 0, ...options });
  core.welcome();
  await clock.tick();
  /** A message the server stores and announces live. */
  const add = (count = 1) => {
    for (let n = 0; n < count; n++) {
      const m = msg('a', server.length);
      server.push(m);
      core.emit({ kind: 'messageAdded', data: { message: m } });
    }
  };
  return { core, client, clock, server, add };
}

describe('bounded message windows through the handle (STORE-12)', () => {
  it('STORE-12: live messages keep an observed window at maxWindowMessages; loadOlder fetches the dropped ones and detaches it', async () => {
    const { core, client, add } = await setup({ maxWindowMessages: 5 });
    const h = client.conversation('a');
    const seen = record(h.messages$);
    const states = record<MessagesWindowState>(h.messagesWindow$);
    add(12);
    expect(indices(seen.at(-1)!)).toEqual(range(7, 11));
    expect(states.at(-1)).toEqual({ hasOlder: true, hasNewer: false });

    const older = await h.loadOlder(3);
    expect(core.callsOf('messages.list').at(-1)!.args).toEqual({ sid: 'a', pageSize: 3, direction: 'backwards', anchor: 7 });
    expect(older).toEqual({ loaded: 3, hasMore: true });
    expect(indices(seen.at(-1)!)).toEqual(range(4, 8)); // the newest left the window
    expect(states.at(-1)).toEqual({ hasOlder: true, hasNewer: true });

    // Detached: live messages stay out of the window, the conversation still follows them.
    const before = seen.length;
    add(2);
    expect(seen.length).toBe(before);
    const c = h.state!;
    expect([c.lastMessageIndex, c.messagesCount, c.membership!.unreadMessagesCount]).toEqual([13, 14, 14]);
  });

  it('STORE-12: loadNewer walks a detached window back to the live end; live messages append again', async () => {
    const { client, add } = await setup({ maxWindowMessages: 5 });
    const h = client.conversation('a');
    const seen = record(h.messages$);
    const states = record<MessagesWindowState>(h.messagesWindow$);
    add(12);
    await h.loadOlder(3);
    add(2);
    expect(await h.loadNewer(3)).toEqual({ loaded: 3, hasMore: true });
    expect(indices(seen.at(-1)!)).toEqual(range(7, 11));
    expect(await h.loadNewer(3)).toEqual({ loaded: 2, hasMore: false });
    expect(indices(seen.at(-1)!)).toEqual(range(9, 13));
    expect(states.at(-1)).toEqual({ hasOlder: true, hasNewer: false });
    add();
    expect(indices(seen.at(-1)!)).toEqual(range(10, 14));
  });

  it('STORE-12, STORE-7: a message sent while scrolled back shows as sending and is never dropped; once confirmed, loadNewer reaches it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fixture = await setup({ maxWindowMessages: 5 }, async (op, args, self) => {
      if (op !== 'messages.send') return null;
      await gate;
      const m = msg('a', fixture.server.length, { author: 'alice', body: args.body, idempotencyKey: args.idempotencyKey });
      fixture.server.push(m);
      self.emit({ kind: 'messageAdded', data: { message: m } });
      return m;
    });
    const { client, add } = fixture;
    const h = client.conversation('a');
    const seen = record(h.messages$);
    add(12);
    await h.loadOlder(3);
    const sending = h.sendMessage('from the past');
    add(20); // a burst while the send is in flight: none of it may push the optimistic copy out
    expect(seen.at(-1)!.map((m) => [m.index, m.status])).toEqual([...range(4, 8).map((i) => [i, 'sent']), [null, 'sending']]);
    release();
    const sent = await sending;
    expect(sent.index).toBe(32);
    // The window is still scrolled back: the confirmed message is beyond it, and no copy is left behind.
    expect(seen.at(-1)!.map((m) => m.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    while ((await h.loadNewer(10)).hasMore);
    expect(seen.at(-1)!.map((m) => m.body).at(-1)).toBe('from the past');
  });

  it('STORE-12: getMessages merges only pages that border the window (no hole in a detached window)', async () => {
    const { client, add } = await setup({ maxWindowMessages: 5 });
    const h = client.conversation('a');
    const seen = record(h.messages$);
    add(30);
    await h.loadOlder(5);
    await h.loadOlder(5); // window [15..19], detached
    const newest = await h.getMessages(3);
    expect(newest.items.map((m) => m.index)).toEqual([27, 28, 29]);
    expect(indices(seen.at(-1)!)).toEqual(range(15, 19));
    const next = await h.getMessages(3, 19, 'forwards');
    expect(next.items.map((m) => m.index)).toEqual([20, 21, 22]);
    expect(indices(seen.at(-1)!)).toEqual(range(18, 22));
  });

  it('STORE-12: the default bound is 2,000 and Infinity lifts it', async () => {
    const bounded = await setup();
    const a = bounded.client.conversation('a');
    const seen = record(a.messages$);
    bounded.add(2_100);
    expect(indices(seen.at(-1)!)).toEqual(range(100, 2_099));
    const unbounded = await setup({ maxWindowMessages: Infinity });
    const b = unbounded.client.conversation('a');
    const all = record(b.messages$);
    unbounded.add(2_100);
    expect(all.at(-1)!.length).toBe(2_100);
  });

  it('CONN-1: maxWindowMessages must be an integer ≥ 1 or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', null]) {
      expect(() => new ConversationsClient(new FakeCore(), { maxWindowMessages: bad as number }, 'core')).toThrow(TypeError);
    }
  });
});
