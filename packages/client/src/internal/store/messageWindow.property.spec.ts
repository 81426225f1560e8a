import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Message } from '@rx-conversations/protocol';
import { reduceBatch } from './rootReducer.js';
import { initialStoreState, type StoreState } from './StoreState.js';
import type { StoreAction } from './StoreAction.js';
import { heldMessages, highestIndex, lowestIndex } from './messageWindow.js';
import { conv, msg } from '../../../test/fixtures.js';

type Op = { t: 'add' } | { t: 'update'; i: number } | { t: 'remove'; i: number };
const INITIAL = 20;

/** Replays ops on a server model; returns the events and the snapshot after each prefix. */
function simulate(ops: Op[]) {
  const server = new Map<number, Message>();
  for (let i = 0; i < INITIAL; i++) server.set(i, msg('c', i));
  let next = INITIAL;
  const snapshots: Map<number, Message>[] = [new Map(server)];
  const events: StoreAction[] = [];
  let seq = 0;
  for (const op of ops) {
    seq++;
    if (op.t === 'add') {
      const m = msg('c', next++);
      server.set(m.index, m);
      events.push({ type: 'messageAdded', seq, message: m });
    } else {
      const held = server.get(op.i % next);
      if (held === undefined) {
        events.push({ type: 'typingSignal', conversationSid: 'c', identity: 'noop', at: seq }); // nothing to do: keep positions aligned
      } else if (op.t === 'update') {
        const m = { ...held, version: held.version + 1, body: `v${held.version + 1}` };
        server.set(m.index, m);
        events.push({ type: 'messageUpdated', seq, message: m, updateReasons: ['body'] });
      } else {
        server.delete(held.index);
        events.push({ type: 'messageRemoved', seq, conversationSid: 'c', sid: held.sid, index: held.index, version: held.version + 1 });
      }
    }
    snapshots.push(new Map(server));
  }
  return { events, snapshots, final: server, next };
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ t: 'add' } as Op),
  fc.nat(60).map((i) => ({ t: 'update', i }) as Op),
  fc.nat(60).map((i) => ({ t: 'remove', i }) as Op),
);
const pageArb = fc.record({ readAt: fc.nat(), delay: fc.nat(), from: fc.nat(60), size: fc.integer({ min: 1, max: 30 }) });

describe('message window merge (STORE-5, property)', () => {
  it('STORE-5: pages and live events converge to the server state in any interleaving', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(pageArb, { maxLength: 6 }), (ops, pageSpecs) => {
        const { events, snapshots, final, next } = simulate(ops);
        // A page is read at some point of the event stream and delivered at that point or later.
        const deliveries = pageSpecs.map((p) => {
          const readAt = p.readAt % (events.length + 1);
          const at = Math.min(events.length, readAt + (p.delay % (events.length + 1)));
          const snapshot = snapshots[readAt]!;
          const items = [...snapshot.values()].filter((m) => m.index >= p.from && m.index < p.from + p.size).sort((a, b) => a.index - b.index);
          const action: StoreAction = { type: 'messagesPageLoaded', conversationSid: 'c', items, direction: 'forwards', reset: false, hasMore: true };
          return { at, action };
        });
        let s: StoreState = reduceBatch(initialStoreState, [{ type: 'conversationsPageLoaded', items: [conv('c')], asOfSeq: 0 }, { type: 'windowOpened', conversationSid: 'c' }], 'me');
        for (let pos = 0; pos <= events.length; pos++) {
          const due = deliveries.filter((d) => d.at === pos).map((d) => d.action);
          if (due.length > 0) s = reduceBatch(s, due, 'me');
          if (pos < events.length) s = reduceBatch(s, [events[pos]!], 'me');
        }
        const held = heldMessages(s.windows.c!);
        // Everything held is the server's latest version; nothing removed is held.
        for (const m of held) expect(final.get(m.index)).toEqual(m);
        // Every message added live is held (the window was open), unless removed since.
        for (let i = INITIAL; i < next; i++) if (final.has(i)) expect(held.some((m) => m.index === i)).toBe(true);
        // Ordered and unique by index.
        expect(held.map((m) => m.index)).toEqual([...new Set(held.map((m) => m.index))].sort((a, b) => a - b));
        expect(s.windows.c!.count).toBe(held.length);
      }),
      { numRuns: 300 },
    );
  });
});

// ── STORE-12: a bounded window, driven like the handle drives it ──

type BoundedOp =
  | { t: 'add' }
  | { t: 'update'; i: number }
  | { t: 'remove'; i: number }
  | { t: 'send' }
  | { t: 'confirm' }
  | { t: 'older'; size: number; delay: number }
  | { t: 'newer'; size: number; delay: number };

const boundedOpArb: fc.Arbitrary<BoundedOp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ t: 'add' } as BoundedOp) },
  { weight: 1, arbitrary: fc.nat(80).map((i) => ({ t: 'update', i }) as BoundedOp) },
  { weight: 1, arbitrary: fc.nat(80).map((i) => ({ t: 'remove', i }) as BoundedOp) },
  { weight: 1, arbitrary: fc.constant({ t: 'send' } as BoundedOp) },
  { weight: 1, arbitrary: fc.constant({ t: 'confirm' } as BoundedOp) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('older' as const), size: fc.integer({ min: 1, max: 6 }), delay: fc.nat(6) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('newer' as const), size: fc.integer({ min: 1, max: 6 }), delay: fc.nat(6) }) },
);

describe('bounded message window (STORE-12, property)', () => {
  it('STORE-12: live events and paging in any interleaving keep the window bounded, hole-free, current, and every pending send', () => {
    const MAX = 8;
    fc.assert(
      fc.property(fc.array(boundedOpArb, { maxLength: 80 }), (ops) => {
        const server = new Map<number, Message>();
        for (let i = 0; i < INITIAL; i++) server.set(i, msg('c', i));
        let next = INITIAL;
        let seq = 0;
        let s: StoreState = reduceBatch(
          initialStoreState,
          [{ type: 'conversationsPageLoaded', items: [conv('c')], asOfSeq: 0 }, { type: 'windowOpened', conversationSid: 'c' }],
          'me',
          { maxWindowMessages: MAX },
        );
        const queued: string[] = [];
        const confirmed = new Set<string>();
        const inFlight: { at: number; direction: 'backwards' | 'forwards'; actions: StoreAction[] }[] = [];
        const apply = (...actions: StoreAction[]) => {
          s = reduceBatch(s, actions, 'me', { maxWindowMessages: MAX });
          const w = s.windows.c!;
          expect(w.count).toBeLessThanOrEqual(MAX);
          expect(heldMessages(w).length).toBe(w.count);
          expect(w.pending.map((p) => p.idempotencyKey)).toEqual(queued.filter((k) => !confirmed.has(k)));
        };
        const addOnServer = (over: Partial<Message> = {}) => {
          const m = msg('c', next++, over);
          server.set(m.index, m);
          apply({ type: 'messageAdded', seq: ++seq, message: m });
        };
        /** A page as the server reads it now, for the anchor the handle would use now. */
        const request = (want: 'backwards' | 'forwards', size: number, at: number) => {
          const w = s.windows.c!;
          const anchor = want === 'backwards' ? lowestIndex(w) : highestIndex(w);
          const direction = anchor === null ? 'backwards' : want;
          if (inFlight.some((p) => p.direction === direction)) return; // the handle shares one request per direction
          const all = [...server.values()].sort((a, b) => a.index - b.index);
          let items: Message[];
          let hasMore: boolean;
          if (direction === 'backwards') {
            const before = all.filter((m) => anchor === null || m.index < anchor);
            items = before.slice(Math.max(0, before.length - size));
            hasMore = before.length > size;
          } else {
            const after = all.filter((m) => m.index > anchor!);
            items = after.slice(0, size);
            hasMore = after.length > size;
          }
          apply({ type: 'pageRequested', conversationSid: 'c', direction });
          inFlight.push({
            at,
            direction,
            actions: [
              { type: 'messagesPageLoaded', conversationSid: 'c', items, direction, reset: false, hasMore, anchor, asOfSeq: seq },
              { type: 'pageSettled', conversationSid: 'c', direction },
            ],
          });
        };
        const deliver = (upTo: number) => {
          for (let k = 0; k < inFlight.length; ) {
            if (inFlight[k]!.at <= upTo) apply(...inFlight.splice(k, 1)[0]!.actions);
            else k++;
          }
        };
        ops.forEach((op, step) => {
          deliver(step);
          switch (op.t) {
            case 'add':
              addOnServer();
              break;
            case 'update':
            case 'remove': {
              const held = server.get(op.i % next);
              if (held === undefined) break;
              if (op.t === 'update') {
                const m = { ...held, version: held.version + 1, body: `v${held.version + 1}` };
                server.set(m.index, m);
                apply({ type: 'messageUpdated', seq: ++seq, message: m, updateReasons: ['body'] });
              } else {
                server.delete(held.index);
                apply({ type: 'messageRemoved', seq: ++seq, conversationSid: 'c', sid: held.sid, index: held.index, version: held.version + 1 });
              }
              break;
            }
            case 'send': {
              const key = `send-${queued.length}`;
              queued.push(key);
              apply({ type: 'sendQueued', pending: { idempotencyKey: key, conversationSid: 'c', author: 'me', body: key, attributes: {}, createdAt: 0, status: 'sending', error: null } });
              break;
            }
            case 'confirm': {
              const key = queued.find((k) => !confirmed.has(k));
              if (key === undefined) break;
              confirmed.add(key);
              addOnServer({ idempotencyKey: key, author: 'me', body: key });
              break;
            }
            case 'older':
            case 'newer':
              request(op.t === 'older' ? 'backwards' : 'forwards', op.size, step + op.delay);
              break;
          }
        });
        deliver(Infinity);
        const w = s.windows.c!;
        const held = heldMessages(w);
        // Current: everything held is the server's latest version, nothing removed is held.
        for (const m of held) expect(server.get(m.index)).toEqual(m);
        if (held.length === 0) return;
        const lo = held[0]!.index;
        const hi = held[held.length - 1]!.index;
        const onServer = [...server.keys()].sort((a, b) => a - b);
        // No hole: every server message between the oldest and the newest held is held.
        expect(held.map((m) => m.index)).toEqual(onServer.filter((i) => i >= lo && i <= hi));
        // Following the live end means holding the newest; `hasOlder: false` means holding the oldest.
        if (!w.hasNewer) expect(onServer.filter((i) => i > hi)).toEqual([]);
        if (w.hasOlder === false) expect(onServer.filter((i) => i < lo)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
