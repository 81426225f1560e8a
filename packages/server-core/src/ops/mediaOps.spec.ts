import { describe, expect, it } from '@jest/globals';
import type { OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import { Core } from '../Core.js';
import { MemoryStore } from '../MemoryStore.js';
import { runSync, type Step } from '../Step.js';
import { mediaOps } from './mediaOps.js';
import type { OpContext } from './OpContext.js';
import { operations } from './operations.js';

const GRACE = 60_000;

// The media rules on the in-memory store (what the test kit's FakeServer runs); the server's suites
// check the same rules on SQLite and PostgreSQL over real HTTP.
function setUp() {
  let now = 1_800_000_000_000;
  let n = 0;
  let released = 0;
  const store = new MemoryStore();
  const core = new Core({ store, clock: () => now, newSid: (prefix) => `${prefix}${++n}`, onMediaReleased: () => (released += 1) });
  const perform = <O extends OpName>(identity: string, op: O, args: OpArgs<O>): OpResult<O> =>
    runSync((operations[op] as (ctx: OpContext, args: unknown) => Step<OpResult<O>>)({ core, identity, peer: null }, args));
  const stored = (author: string, conversationSid: string, size = 100) =>
    runSync(mediaOps.recordUpload(core, { sid: core.newSid('ME'), conversationSid, author, contentType: 'text/plain', filename: 'a.txt', size, preview: null }, 1000, GRACE));
  return { core, perform, stored, advance: (ms: number) => (now += ms), released: () => released };
}

describe('media rules in the core (MEDIA-1, MEDIA-4)', () => {
  it('MEDIA-1: an attachment is recorded in the send\'s transaction; a refused send attaches nothing', () => {
    const { perform, stored } = setUp();
    const { sid } = perform('alice', 'conversations.create', {});
    perform('alice', 'participants.add', { sid, identity: 'bob' });
    const mine = stored('alice', sid);
    const bobs = stored('bob', sid);
    expect(() => perform('alice', 'messages.send', { sid, mediaSids: [mine.sid, bobs.sid], idempotencyKey: 'send-key-1' })).toThrow(
      expect.objectContaining({ code: 'media_not_owned' }),
    );
    const sent = perform('alice', 'messages.send', { sid, mediaSids: [mine.sid], idempotencyKey: 'send-key-2' });
    expect(sent.media).toEqual([{ sid: mine.sid, contentType: 'text/plain', filename: 'a.txt', size: 100 }]);
    expect(perform('alice', 'messages.send', { sid, body: 'plain', idempotencyKey: 'send-key-3' })).not.toHaveProperty('media');
  });

  it('MEDIA-4: unattached uploads are due after the grace time, attached ones when their message is removed; the quota counts both until then', () => {
    const { core, perform, stored, advance, released } = setUp();
    const { sid } = perform('alice', 'conversations.create', {});
    const kept = stored('alice', sid, 400);
    const dropped = stored('alice', sid, 400);
    const sent = perform('alice', 'messages.send', { sid, mediaSids: [kept.sid], idempotencyKey: 'send-key-4' });
    expect(() => stored('alice', sid, 300)).toThrow(expect.objectContaining({ code: 'media_quota_exceeded' }));
    advance(GRACE);
    expect(runSync(mediaOps.takeExpired(core, 10)).map((r) => r.sid)).toEqual([dropped.sid]);
    perform('alice', 'messages.remove', { sid, index: sent.index });
    expect(released()).toBe(1);
    expect(runSync(mediaOps.takeExpired(core, 10)).map((r) => r.sid)).toEqual([kept.sid]);
    expect(runSync(mediaOps.takeExpired(core, 10))).toEqual([]);
    expect(stored('alice', sid, 1000).size).toBe(1000);
  });
});
