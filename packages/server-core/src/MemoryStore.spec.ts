// The test kit's store keeps reactions in nested maps (PARITY-3): what a reaction costs must not grow
// with the reactions already there, and a write that throws must leave them exactly as they were,
// down to the order of the first reactors that summaries show.
import { describe, expect, it } from '@jest/globals';
import { MemoryStore } from './MemoryStore.js';
import { runSync, type Step } from './Step.js';
import type { StoreTx } from './Store.js';

const store = (): MemoryStore => new MemoryStore();
const write = <R>(s: MemoryStore, body: (tx: StoreTx) => Step<R>): R => runSync(s.write(body));
const read = <R>(s: MemoryStore, body: (tx: StoreTx) => Step<R>): R => runSync(s.read(body));

describe('MemoryStore reactions (PARITY-3)', () => {
  it('PARITY-3: first reactors in the order they reacted; a repeated reaction or a missing one changes nothing', () => {
    const s = store();
    for (const who of ['carol', 'alice', 'bob']) expect(write(s, (tx) => tx.addReaction('CH1', 4, '👍', who, 0))).toBe(true);
    expect(write(s, (tx) => tx.addReaction('CH1', 4, '👍', 'alice', 0))).toBe(false);
    expect(read(s, (tx) => tx.firstReactors('CH1', 4, '👍', 2))).toEqual(['carol', 'alice']);
    expect(write(s, (tx) => tx.removeReaction('CH1', 4, '👍', 'alice'))).toBe(true);
    expect(write(s, (tx) => tx.removeReaction('CH1', 4, '👍', 'alice'))).toBe(false);
    expect(write(s, (tx) => tx.removeReaction('CH2', 4, '👍', 'alice'))).toBe(false);
    expect(read(s, (tx) => tx.firstReactors('CH1', 4, '👍', 3))).toEqual(['carol', 'bob']);
  });

  it("PARITY-3: a user's reactions on a range of messages, in this conversation only, however the range compares with the reacted messages", () => {
    const s = store();
    write(s, function* (tx) {
      yield* tx.addReaction('CH1', 1, '👍', 'alice', 0);
      yield* tx.addReaction('CH1', 1, '🎉', 'alice', 0);
      yield* tx.addReaction('CH1', 3, '👍', 'bob', 0);
      yield* tx.addReaction('CH1', 900, '👍', 'alice', 0);
      yield* tx.addReaction('CH2', 2, '👍', 'alice', 0);
    });
    const expected = [{ idx: 1, emoji: '👍' }, { idx: 1, emoji: '🎉' }];
    // A narrow page (walked index by index) and a wide one (walked over the reacted messages).
    expect(read(s, (tx) => tx.reactionsBy('CH1', 'alice', 0, 2))).toEqual(expected);
    expect(read(s, (tx) => tx.reactionsBy('CH1', 'alice', 0, 899))).toEqual(expected);
    expect(read(s, (tx) => tx.reactionsBy('CH1', 'alice', 0, 1_000))).toEqual([...expected, { idx: 900, emoji: '👍' }]);
    write(s, (tx) => tx.deleteReactions('CH1', 1));
    expect(read(s, (tx) => tx.reactionsBy('CH1', 'alice', 0, 10))).toEqual([]);
    expect(read(s, (tx) => tx.reactionsBy('CH2', 'alice', 0, 10))).toEqual([{ idx: 2, emoji: '👍' }]);
  });

  it('PARITY-3: a write that throws leaves the reactions as they were, first reactors in their order', () => {
    const s = store();
    for (const who of ['alice', 'bob', 'carol']) write(s, (tx) => tx.addReaction('CH1', 0, '👍', who, 0));
    expect(() =>
      write(s, function* (tx) {
        yield* tx.removeReaction('CH1', 0, '👍', 'alice');
        yield* tx.addReaction('CH1', 0, '👍', 'dave', 0);
        yield* tx.addReaction('CH1', 7, '🎉', 'erin', 0);
        yield* tx.deleteReactions('CH1', 0);
        throw new Error('the write fails');
      }),
    ).toThrow('the write fails');
    expect(read(s, (tx) => tx.firstReactors('CH1', 0, '👍', 10))).toEqual(['alice', 'bob', 'carol']);
    expect(read(s, (tx) => tx.reactionsBy('CH1', 'erin', 0, 10))).toEqual([]);
  });
});
