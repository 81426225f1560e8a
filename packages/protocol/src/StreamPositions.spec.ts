import { describe, expect, it } from '@jest/globals';
import type { EventFrame } from './frames.js';
import { StreamPositions } from './StreamPositions.js';

const message = (seq: number, prev: number, stream: string): EventFrame =>
  ({ type: 'ev', seq, prev, stream, kind: 'messageAdded', data: {}, at: 0 }) as unknown as EventFrame;
const added = (seq: number, prev: number, sid: string): EventFrame =>
  ({ type: 'ev', seq, prev, kind: 'conversationAdded', data: { conversation: { sid } }, at: 0 }) as unknown as EventFrame;
const removed = (seq: number, prev: number, sid: string): EventFrame =>
  ({ type: 'ev', seq, prev, kind: 'conversationRemoved', data: { sid, reason: 'removed' }, at: 0 }) as unknown as EventFrame;

describe('StreamPositions (CONN-5)', () => {
  it('CONN-5: events of interleaved streams chain by prev; a missing one is seen in its own stream', () => {
    const streams = new StreamPositions();
    expect(streams.accept(message(10, 7, 'CH1'))).toBe(true); // first seen: followed from here
    expect(streams.accept(message(11, 3, 'CH2'))).toBe(true);
    expect(streams.accept(message(12, 10, 'CH1'))).toBe(true);
    expect(streams.accept(message(14, 13, 'CH2'))).toBe(false); // CH2's 13 never came (11 was its last)
    expect(streams.accept(message(14, 11, 'CH2'))).toBe(true); // nothing was recorded for the refused one
  });

  it('CONN-5: joining or leaving starts a conversation stream afresh; reset forgets every stream', () => {
    const streams = new StreamPositions();
    expect(streams.accept(message(5, 0, 'CH1'))).toBe(true);
    expect(streams.accept(removed(6, 0, 'CH1'))).toBe(true);
    expect(streams.accept(added(9, 6, 'CH1'))).toBe(true);
    // Events of CH1 between the removal and the re-add were not ours: prev 8 is not a gap.
    expect(streams.accept(message(10, 8, 'CH1'))).toBe(true);
    expect(streams.accept(added(12, 10, 'CH3'))).toBe(false); // the user's own stream skipped 11
    streams.reset();
    expect(streams.accept(added(12, 11, 'CH3'))).toBe(true);
  });
});
