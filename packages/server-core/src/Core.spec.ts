import { describe, expect, it } from '@jest/globals';
import type { OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import { Core } from './Core.js';
import { MemoryStore } from './MemoryStore.js';
import type { OpContext } from './ops/OpContext.js';
import { operations } from './ops/operations.js';
import { runSync, type Step } from './Step.js';

function setUp() {
  const store = new MemoryStore();
  let n = 0;
  const core = new Core({ store, clock: () => 1_800_000_000_000, newSid: (prefix) => `${prefix}${++n}` });
  const perform = <O extends OpName>(identity: string, op: O, args: OpArgs<O>): OpResult<O> => {
    const context: OpContext = { core, identity, peer: null };
    return runSync((operations[op] as (ctx: OpContext, args: unknown) => Step<OpResult<O>>)(context, args));
  };
  const head = () => runSync(store.read((tx) => tx.headSeq()));
  return { store, core, perform, head };
}

describe('Core: a write costs the same whatever the audience (CORE-2)', () => {
  it('CORE-2: a send into a 1,000-member conversation appends one event, and every online member gets the same serialised frame', () => {
    const { store, core, perform, head } = setUp();
    const { sid } = perform('owner', 'conversations.create', {});
    for (let i = 0; i < 999; i += 1) perform('owner', 'participants.add', { sid, identity: `member-${i}` });
    const received = new Map<string, string[]>();
    for (const identity of ['member-1', 'member-500', 'member-998']) {
      const frames: string[] = [];
      received.set(identity, frames);
      core.fanout.add({ identity, floor: 0, enqueue: (frame) => frames.push(frame), drop: () => {} }, [sid]);
    }

    const before = head();
    const message = perform('owner', 'messages.send', { sid, body: 'to everyone', idempotencyKey: 'k1' });
    expect(head()).toBe(before + 1); // one event in the log, not one per member

    const frames = [...received.values()].map((list) => list[list.length - 1]!);
    expect(frames.every((frame) => frame === frames[0])).toBe(true); // one string, serialised once
    expect(JSON.parse(frames[0]!)).toMatchObject({ type: 'ev', seq: before + 1, stream: sid, kind: 'messageAdded', data: { message } });
    // An offline member's view of the log holds it too, derived from their membership.
    expect(store.eventsOf('member-42').map((e) => e.seq)).toContain(before + 1);
    expect(store.eventsOf('outsider')).toEqual([]);
  });

  it('CORE-2: a refused write takes no log position: the next write gets the next one', () => {
    const { perform, head } = setUp();
    const { sid } = perform('owner', 'conversations.create', {});
    const before = head();
    expect(() => perform('stranger', 'messages.send', { sid, body: 'x', idempotencyKey: 'k2' })).toThrow(expect.objectContaining({ code: 'not_a_participant' }));
    expect(() => perform('owner', 'participants.add', { sid, identity: 'owner' })).toThrow(expect.objectContaining({ code: 'participant_exists' }));
    expect(head()).toBe(before);
    expect(perform('owner', 'messages.send', { sid, body: 'first', idempotencyKey: 'k3' }).index).toBe(0);
    expect(head()).toBe(before + 1);
  });
});
