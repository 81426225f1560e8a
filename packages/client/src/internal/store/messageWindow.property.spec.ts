import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Message } from '@rx-conversations/protocol';
import { reduceBatch } from './rootReducer.js';
import { initialStoreState, type StoreState } from './StoreState.js';
import type { StoreAction } from './StoreAction.js';
import { heldMessages } from './messageWindow.js';
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
