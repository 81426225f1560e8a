/**
 * Micro-benchmark of the store's apply cost (SPEC PERF-1, PERF-8). Jest-free and Node-free: the lead
 * wires it into `npm run bench`. Run by hand:
 *
 *   npx esbuild packages/client/bench/storeApply.ts --bundle --platform=node --format=esm \
 *     --outfile=/tmp/storeApply.mjs && node /tmp/storeApply.mjs
 */
import type { Conversation, Message } from '@rx-conversations/protocol';
import { reduceBatch } from '../src/internal/store/rootReducer.js';
import { initialStoreState, type StoreState } from '../src/internal/store/StoreState.js';
import type { StoreAction } from '../src/internal/store/StoreAction.js';

export interface StoreApplyOptions {
  /** Messages held in the observed conversation's window. */
  readonly heldMessages: number;
  /** Subscribed conversations. */
  readonly conversations: number;
  /** Events to apply (each in its own batch, the worst case). Default 2000. */
  readonly events?: number;
}

export interface StoreApplyResult {
  /** Live `messageAdded` appended at the end of the window, one batch per event. */
  readonly nsPerEvent: number;
  /** `messageAdded` filling a hole in the middle of the window (out-of-order arrival). */
  readonly nsPerGapFill: number;
  /** Merging a page of 100 messages, half already held, into the window (PERF-8). */
  readonly nsPerPageMerge: number;
}

const me = 'me';

function conversation(i: number): Conversation {
  return {
    sid: `CH${i}`, uniqueName: null, friendlyName: `c${i}`, attributes: {}, createdBy: me, createdAt: i, updatedAt: i,
    lastMessageIndex: null, lastMessageAt: null, messagesCount: 0, participantsCount: 2,
    state: { current: 'active', updatedAt: i }, timers: { inactiveAt: null, closedAt: null },
    membership: { role: 'member', roleSid: 'RL00000000000000000000000000000001', lastReadMessageIndex: null, notificationLevel: 'default', unreadMessagesCount: 0 },
    version: 1,
  };
}

function message(sid: string, index: number): Message {
  return {
    sid: `IM${index}`, conversationSid: sid, index, author: 'other', participantSid: null, type: 'text', lastUpdatedBy: null, body: 'hello there, this is a message body',
    attributes: {}, createdAt: 1_000_000 + index, updatedAt: 1_000_000 + index, idempotencyKey: `k${index}`, version: 1,
  };
}

function setUp(options: StoreApplyOptions, holes: boolean): StoreState {
  const convs = Array.from({ length: options.conversations }, (_, i) => conversation(i));
  let s = reduceBatch(initialStoreState, [{ type: 'conversationsPageLoaded', items: convs, asOfSeq: 0 }], me);
  const sid = 'CH0';
  s = reduceBatch(s, [{ type: 'windowOpened', conversationSid: sid }], me);
  for (let start = 0; start < options.heldMessages; start += 1000) {
    const items: Message[] = [];
    for (let i = start; i < Math.min(start + 1000, options.heldMessages); i++) {
      // Holes: every index ≡ 1 (mod 4) is missing, to be filled by the gap-fill measurement.
      if (!holes || i % 4 !== 1) items.push(message(sid, i));
    }
    s = reduceBatch(s, [{ type: 'messagesPageLoaded', conversationSid: sid, items, direction: 'forwards', reset: false, hasMore: false }], me);
  }
  return s;
}

function now(): number {
  return performance.now();
}

function time(state: StoreState, actions: StoreAction[][]): number {
  let s = state;
  // Warm-up on a copy of the sequence so the JIT settles, then measure.
  for (let i = 0; i < Math.min(200, actions.length); i++) reduceBatch(s, actions[i]!, me);
  const t0 = now();
  for (const batch of actions) s = reduceBatch(s, batch, me);
  return ((now() - t0) * 1e6) / actions.length;
}

/**
 * Measures the store's apply cost with `heldMessages` in one window and `conversations` subscribed.
 *
 * @example
 * const small = measureStoreApply({ heldMessages: 1_000, conversations: 1_000 });
 * const large = measureStoreApply({ heldMessages: 100_000, conversations: 1_000 });
 * console.log(large.nsPerEvent / small.nsPerEvent); // PERF-1: ≤ 1.5
 */
export function measureStoreApply(options: StoreApplyOptions): StoreApplyResult {
  const events = options.events ?? 2000;
  const sid = 'CH0';
  let seq = 1;

  const base = setUp(options, false);
  const appends: StoreAction[][] = [];
  for (let i = 0; i < events; i++) appends.push([{ type: 'messageAdded', seq: seq++, message: message(sid, options.heldMessages + i) }]);
  const nsPerEvent = time(base, appends);

  const holey = setUp(options, true);
  const fills: StoreAction[][] = [];
  const span = Math.max(1, Math.floor(options.heldMessages / 4));
  for (let i = 0; i < events; i++) {
    const index = ((i * 7919) % span) * 4 + 1; // spread over the whole window
    fills.push([{ type: 'messageAdded', seq: seq++, message: message(sid, index) }]);
  }
  const nsPerGapFill = time(holey, fills);

  // PERF-8: pages of 100 messages around the middle, half already held: over 200 indices, those ≡ 0
  // (mod 4), held, and those ≡ 1 (mod 4), the holes.
  const pages: StoreAction[][] = [];
  const mid = Math.floor(options.heldMessages / 2) & ~3;
  for (let p = 0; p < Math.min(200, events); p++) {
    const items: Message[] = [];
    const start = (mid + p * 200) % Math.max(200, options.heldMessages - 200) & ~3;
    for (let i = start; i < start + 200; i++) if (i % 4 === 0 || i % 4 === 1) items.push(message(sid, i));
    pages.push([{ type: 'messagesPageLoaded', conversationSid: sid, items, direction: 'backwards', reset: false, hasMore: true }]);
  }
  const nsPerPageMerge = time(holey, pages);

  return { nsPerEvent, nsPerGapFill, nsPerPageMerge };
}

/** Prints the PERF-1 / PERF-8 figures. */
export function main(): void {
  const small = measureStoreApply({ heldMessages: 1_000, conversations: 1_000 });
  const large = measureStoreApply({ heldMessages: 100_000, conversations: 1_000 });
  const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
  console.log(`messageAdded, 1k held:    ${us(small.nsPerEvent)}   gap fill ${us(small.nsPerGapFill)}`);
  console.log(`messageAdded, 100k held:  ${us(large.nsPerEvent)}   gap fill ${us(large.nsPerGapFill)}`);
  console.log(`PERF-1 ratio append ${(large.nsPerEvent / small.nsPerEvent).toFixed(2)} (≤ 1.5), gap fill ${(large.nsPerGapFill / small.nsPerGapFill).toFixed(2)} (≤ 1.5)`);
  console.log(`PERF-8 page merge (100, half held) into 100k: ${us(large.nsPerPageMerge)} (≤ 150 µs)`);
}

const isMain = typeof process !== 'undefined' && process.argv[1] !== undefined && /storeApply\.(m?js|ts)$/.test(process.argv[1]);
if (isMain) main();
