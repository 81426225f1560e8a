import { describe, expect, it } from '@jest/globals';
import type { Message } from '@rx-conversations/protocol';
import { reduceBatch } from './rootReducer.js';
import { initialStoreState, type MessageWindow, type PendingSend, type StoreState } from './StoreState.js';
import type { StoreAction } from './StoreAction.js';
import { heldMessages } from './messageWindow.js';
import { crGet } from './chunkedRecord.js';
import { conv, msg } from '../../../test/fixtures.js';

const me = 'me';
const MAX = 10;

/** A store with conversation `c` and its window open, bounded at `max`. */
function harness(max = MAX) {
  let state: StoreState = initialStoreState;
  let seq = 0;
  const apply = (...actions: StoreAction[]): StoreState => (state = reduceBatch(state, actions, me, { maxWindowMessages: max }));
  apply({ type: 'conversationsPageLoaded', items: [conv('c', { membership: { role: 'member', roleSid: 'RL00000000000000000000000000000001', lastReadMessageIndex: null, notificationLevel: 'default', unreadMessagesCount: 0 } })], asOfSeq: 0 }, { type: 'windowOpened', conversationSid: 'c' });
  const added = (index: number, over: Partial<Message> = {}): StoreAction => ({ type: 'messageAdded', seq: ++seq, message: msg('c', index, over) });
  return {
    apply,
    added,
    /** Live messages `from..to` (inclusive), one batch each. */
    live(from: number, to: number): void {
      for (let i = from; i <= to; i++) apply(added(i));
    },
    /** A page as `StoreRuntime.fetchPage` dispatches it: requested, then loaded and settled in one batch. */
    page(direction: 'backwards' | 'forwards', anchor: number | null, indices: number[], hasMore: boolean, asOfSeq = seq): void {
      apply({ type: 'pageRequested', conversationSid: 'c', direction });
      apply(
        { type: 'messagesPageLoaded', conversationSid: 'c', items: indices.map((i) => msg('c', i)), direction, reset: false, hasMore, anchor, asOfSeq },
        { type: 'pageSettled', conversationSid: 'c', direction },
      );
    },
    get window(): MessageWindow {
      return state.windows.c!;
    },
    get indices(): number[] {
      return heldMessages(state.windows.c!).map((m) => m.index);
    },
    get conversation() {
      return crGet(state.conversations.entities, 'c')!;
    },
    get seq(): number {
      return seq;
    },
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function pendingSend(key: string): PendingSend {
  return { idempotencyKey: key, conversationSid: 'c', author: me, body: key, attributes: {}, createdAt: 1, status: 'sending', error: null };
}

describe('bounded message windows (STORE-12)', () => {
  it('STORE-12: live messages push the oldest out of a window that follows the live end', () => {
    const h = harness();
    h.live(0, 14);
    expect(h.indices).toEqual(range(5, 14));
    expect(h.window.count).toBe(MAX);
    expect(h.window.hasOlder).toBe(true);
    expect(h.window.hasNewer).toBe(false);
    // A burst in one batch is trimmed once, to the same bound.
    h.apply(...range(15, 40).map((i) => h.added(i)));
    expect(h.indices).toEqual(range(31, 40));
    // Conversation-level state counts every message, held or not.
    expect([h.conversation.lastMessageIndex, h.conversation.messagesCount, h.conversation.membership!.unreadMessagesCount]).toEqual([40, 41, 41]);
  });

  it('STORE-12: an append to a full window copies only its first and last chunks (PERF-1)', () => {
    const h = harness(1_000);
    h.page('backwards', null, range(0, 999), true);
    const before = h.window;
    h.live(1_000, 1_000);
    const after = h.window;
    expect(h.indices).toEqual(range(1, 1_000));
    expect(after.chunks[0]).not.toBe(before.chunks[0]);
    expect(after.chunks.slice(1, -1)).toEqual(before.chunks.slice(1, -1));
    for (let c = 1; c < after.chunks.length - 1; c++) expect(after.chunks[c]).toBe(before.chunks[c]);
  });

  it('STORE-12: loadOlder past the bound drops the newest and detaches the window; live messages then stay out of it', () => {
    const h = harness();
    h.live(100, 109);
    h.page('backwards', 100, range(95, 99), true);
    expect(h.indices).toEqual(range(95, 104));
    expect([h.window.hasOlder, h.window.hasNewer]).toEqual([true, true]);
    const detached = h.window;
    h.live(110, 112);
    expect(h.window.chunks).toBe(detached.chunks); // nothing entered the window…
    expect(h.indices).toEqual(range(95, 104));
    // …but the conversation still follows every message.
    expect([h.conversation.lastMessageIndex, h.conversation.messagesCount, h.conversation.membership!.unreadMessagesCount]).toEqual([112, 13, 13]);
    // Older pages keep sliding the window back.
    h.page('backwards', 95, range(90, 94), true);
    expect(h.indices).toEqual(range(90, 99));
  });

  it('STORE-12: loadNewer brings a detached window back to the live end, dropping the oldest; live messages append again', () => {
    const h = harness();
    h.live(100, 109);
    h.page('backwards', 100, range(95, 99), true);
    h.live(110, 112);
    h.page('forwards', 104, range(105, 109), true);
    expect(h.indices).toEqual(range(100, 109));
    expect([h.window.hasOlder, h.window.hasNewer]).toEqual([true, true]);
    h.page('forwards', 109, range(110, 112), false);
    expect(h.indices).toEqual(range(103, 112));
    expect(h.window.hasNewer).toBe(false);
    h.live(113, 113);
    expect(h.indices).toEqual(range(104, 113));
  });

  it('STORE-12: a forwards page read before the newest live message does not re-attach the window', () => {
    const h = harness();
    h.live(100, 109);
    h.page('backwards', 100, range(95, 99), true);
    const readAt = h.seq;
    h.live(110, 110); // arrives while the page below is in flight: not in it
    h.page('forwards', 104, range(105, 109), false, readAt);
    expect(h.indices).toEqual(range(100, 109));
    expect(h.window.hasNewer).toBe(true); // 110 is missing: following live messages would leave a hole
    h.live(111, 111);
    expect(h.indices).toEqual(range(100, 109));
    h.page('forwards', 109, [110, 111], false);
    expect(h.indices).toEqual(range(102, 111));
    expect(h.window.hasNewer).toBe(false);
  });

  it('STORE-12: a live message right after the newest held re-attaches a detached window', () => {
    const h = harness();
    h.apply({ type: 'messagesPageLoaded', conversationSid: 'c', items: range(20, 29).map((i) => msg('c', i)), direction: 'backwards', reset: false, hasMore: true, anchor: null, asOfSeq: 0 });
    h.page('backwards', 20, range(15, 19), true);
    // The server said there may be more after 24, but the next message is 25 itself.
    h.page('forwards', 24, range(25, 29), true);
    expect([h.indices, h.window.hasNewer]).toEqual([range(20, 29), true]);
    h.live(30, 30);
    expect([h.indices, h.window.hasNewer]).toEqual([range(21, 30), false]);
  });

  it('STORE-12: while older history loads, live messages push the newest out, so the page still borders the window', () => {
    const h = harness();
    h.live(100, 109);
    h.apply({ type: 'pageRequested', conversationSid: 'c', direction: 'backwards' });
    h.live(110, 111); // while the page before 100 is in flight
    expect([h.indices, h.window.hasNewer]).toEqual([range(100, 109), true]);
    h.apply(
      { type: 'messagesPageLoaded', conversationSid: 'c', items: range(95, 99).map((i) => msg('c', i)), direction: 'backwards', reset: false, hasMore: true, anchor: 100, asOfSeq: 1 },
      { type: 'pageSettled', conversationSid: 'c', direction: 'backwards' },
    );
    expect(h.indices).toEqual(range(95, 104));
  });

  it('STORE-12: a page that no longer borders the window is not merged (no hole)', () => {
    const h = harness();
    h.live(100, 109);
    // Read before 100…104 left the window (nobody pinned it: a bare request, as after a resync race).
    h.live(110, 114);
    h.apply({ type: 'messagesPageLoaded', conversationSid: 'c', items: range(95, 99).map((i) => msg('c', i)), direction: 'backwards', reset: false, hasMore: true, anchor: 100, asOfSeq: 1 });
    expect(h.indices).toEqual(range(105, 114));
    // The newest page does not border a window detached far back in history.
    const far = harness();
    far.live(100, 109);
    far.page('backwards', 100, range(90, 99), true);
    far.live(110, 140);
    far.apply({ type: 'messagesPageLoaded', conversationSid: 'c', items: range(131, 140).map((i) => msg('c', i)), direction: 'backwards', reset: false, hasMore: true, anchor: null, asOfSeq: far.seq });
    expect([far.indices, far.window.hasNewer]).toEqual([range(90, 99), true]);
  });

  it('STORE-12, STORE-7: pending and failed optimistic sends are never dropped', () => {
    const h = harness();
    h.apply({ type: 'sendQueued', pending: pendingSend('k1') }, { type: 'sendQueued', pending: pendingSend('k2') });
    h.live(0, 30);
    h.page('backwards', 21, range(11, 20), true); // detaches
    h.live(31, 60);
    expect(h.window.pending.map((p) => p.idempotencyKey)).toEqual(['k1', 'k2']);
    expect(h.window.count).toBeLessThanOrEqual(MAX);
    // A confirmation removes the optimistic copy even where the message itself does not enter.
    h.apply(h.added(61, { idempotencyKey: 'k1', author: me }));
    expect(h.window.pending.map((p) => p.idempotencyKey)).toEqual(['k2']);
    expect(h.indices).not.toContain(61);
  });

  it('STORE-12: removals cannot make a window span without bound (tombstones count against the span)', () => {
    const h = harness(4);
    for (let i = 0; i < 3_000; i++) {
      h.live(i, i);
      // Every message but one in 500 is removed at once: few live messages, many tombstones between them.
      if (i % 500 !== 0) h.apply({ type: 'messageRemoved', seq: 1_000_000 + i, conversationSid: 'c', sid: `c-m${i}`, index: i, version: 2 });
    }
    expect(h.window.count).toBeLessThanOrEqual(4);
    expect(h.window.chunks.length).toBeLessThanOrEqual(4); // 2 × ⌈4 / 256⌉ + 2
    expect(h.indices).toEqual([2_500]);
    expect(h.window.hasOlder).toBe(true);
  });

  it('STORE-12: trimming an unobserved detached window empties it and re-attaches it', () => {
    const h = harness();
    h.live(100, 109);
    h.page('backwards', 100, range(95, 99), true);
    h.apply({ type: 'windowTrimmed', conversationSid: 'c', keep: 5 });
    expect([h.indices, h.window.hasNewer, h.window.hasOlder]).toEqual([[], false, null]);
    h.live(110, 110);
    expect(h.indices).toEqual([110]);
  });

  it('STORE-5: a resync page read before a live message leaves the window detached until a forwards page', () => {
    const h = harness();
    h.live(0, 5);
    const readAt = h.seq;
    h.live(6, 6);
    h.apply({ type: 'messagesPageLoaded', conversationSid: 'c', items: range(3, 5).map((i) => msg('c', i)), direction: 'backwards', reset: true, hasMore: true, anchor: null, asOfSeq: readAt });
    expect([h.indices, h.window.hasNewer]).toEqual([[3, 4, 5], true]);
    h.page('forwards', 5, [6], false);
    expect([h.indices, h.window.hasNewer]).toEqual([[3, 4, 5, 6], false]);
  });
});
