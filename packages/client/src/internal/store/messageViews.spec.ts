import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Message } from '@rx-conversations/protocol';
import type { MessageView, SentMessage } from '../../MessageView.js';
import { MessageViews } from './messageViews.js';
import { CHUNK_SIZE, emptyWindow, type MessageWindow } from './StoreState.js';
import { appendLive, heldMessages, mergePage, removeMessage, trimWindow, updateMessage } from './messageWindow.js';
import { msg } from '../../../test/fixtures.js';

const views = () => new MessageViews(() => Promise.reject(new Error('no resend here')));

/** What `messages$` must show for `w` (no pending sends in these windows). */
const expected = (w: MessageWindow) => heldMessages(w).map((m) => ({ ...m, status: 'sent', key: m.idempotencyKey ?? m.sid }));

type Op =
  | { t: 'append'; n: number }
  | { t: 'update'; at: number }
  | { t: 'remove'; at: number }
  | { t: 'older'; n: number }
  | { t: 'trim'; keep: number };

describe('MessageViews (messages$ assembly)', () => {
  it('STORE-5, PERF-2: every emission equals the window; an unchanged message keeps its view object', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant('append' as const), n: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ t: fc.constant('update' as const), at: fc.nat() }),
      fc.record({ t: fc.constant('remove' as const), at: fc.nat() }),
      fc.record({ t: fc.constant('older' as const), n: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ t: fc.constant('trim' as const), keep: fc.integer({ min: 0, max: 600 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.integer({ min: 0, max: 2 * CHUNK_SIZE }), (ops, start) => {
        const v = views();
        let w = mergePage(emptyWindow(), Array.from({ length: 50 }, (_, i) => msg('c', start + 1_000 + i)), { direction: 'backwards', hasMore: true, reset: false });
        let top = start + 1_049;
        let bottom = start + 1_000;
        let seq = 0;
        let before: readonly MessageView[] = v.assemble(w);
        expect(before).toEqual(expected(w));
        for (const o of ops) {
          const held = heldMessages(w);
          if (o.t === 'append') for (let i = 0; i < o.n; i++) w = appendLive(w, msg('c', ++top), ++seq);
          else if (o.t === 'older') {
            const page = Array.from({ length: Math.min(o.n, bottom) }, (_, i) => msg('c', bottom - Math.min(o.n, bottom) + i));
            bottom -= page.length;
            w = mergePage(w, page, { direction: 'backwards', hasMore: bottom > 0, reset: false });
          } else if (o.t === 'trim') w = trimWindow(w, o.keep);
          else if (held.length > 0) {
            const m = held[o.at % held.length]!;
            w = o.t === 'update' ? updateMessage(w, { ...m, version: m.version + 1, body: 'edited' }) : removeMessage(w, m.index, m.sid, m.version + 1);
          }
          const after = v.assemble(w);
          expect(after).toEqual(expected(w));
          // The same message object in the store shows as the same view object.
          const was = new Map<Message['sid'], SentMessage>();
          for (const x of before) if (x.status === 'sent') was.set(x.sid, x);
          const stored = new Map(held.map((m) => [m.sid, m]));
          const now = heldMessages(w);
          now.forEach((m, i) => {
            const old = was.get(m.sid);
            if (old !== undefined && stored.get(m.sid) === m) expect(after[i]).toBe(old);
          });
          before = after;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('PERF-2: a live append re-uses the previous array up to the chunk it wrote, and the window is unchanged in it', () => {
    const v = views();
    let w = mergePage(emptyWindow(), Array.from({ length: 3 * CHUNK_SIZE }, (_, i) => msg('c', i)), { direction: 'backwards', hasMore: false, reset: false });
    const first = v.assemble(w);
    w = appendLive(w, msg('c', 3 * CHUNK_SIZE), 1);
    const second = v.assemble(w);
    expect(second).not.toBe(first);
    expect(second).toHaveLength(3 * CHUNK_SIZE + 1);
    expect(first).toHaveLength(3 * CHUNK_SIZE);
    for (let i = 0; i < first.length; i++) expect(second[i]).toBe(first[i]);
    expect(v.sentView(heldMessages(w)[3 * CHUNK_SIZE]!, w)).toBe(second[3 * CHUNK_SIZE]);
  });
});
