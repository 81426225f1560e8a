import { describe, expect, it } from '@jest/globals';
import type { EventFrame } from '@rx-conversations/protocol';
import { startServer } from '../src/index.js';
import { connectUser, key } from './helpers/connectUser.js';
import { expectStreamsIntact } from './helpers/expectStreamsIntact.js';
import { tempDatabase } from './helpers/tempDatabase.js';
import { KEYS } from './helpers/testKeys.js';
import { useServers } from './helpers/useServers.js';

const { cleanups, start, connect } = useServers();

describe('resume from the per-user log (CONN-5, SRV-4)', () => {
  it('CONN-5: after a dropped connection, exactly the missed events are replayed in order, then live ones', async () => {
    const server = await start();
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    const { sid } = await alice.request('conversations.create', {});
    await alice.request('participants.add', { sid, identity: 'bob' });
    await alice.request('messages.send', { sid, body: 'one', idempotencyKey: key() });
    await bob.waitForEvent('messageAdded', (e) => e.data.message.body === 'one');
    const seen = bob.lastSeq();
    bob.socket.terminate();
    await bob.closed;

    const missed: string[] = [];
    for (const body of ['two', 'three', 'four']) {
      await alice.request('messages.send', { sid, body, idempotencyKey: key() });
      missed.push(body);
    }
    await alice.request('conversations.update', { sid, friendlyName: 'renamed' });

    const again = await connect(server, 'bob', { lastSeq: seen });
    expect(again.welcome).toMatchObject({ resume: 'resumed', headSeq: seen + 4 });
    await again.waitForEvent('conversationUpdated');
    const replayed = again.events();
    expect(replayed.map((e) => e.seq)).toEqual([seen + 1, seen + 2, seen + 3, seen + 4]);
    expect(replayed.slice(0, 3).map((e) => (e as EventFrame<'messageAdded'>).data.message.body)).toEqual(missed);
    // The welcome comes first, the replay right after it.
    expect(again.frames[0]!.type).toBe('welcome');

    await alice.request('messages.send', { sid, body: 'live', idempotencyKey: key() });
    const live = await again.waitForEvent('messageAdded', (e) => e.data.message.body === 'live');
    expect(live.seq).toBe(seen + 5);
    expect(again.events().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5].map((i) => seen + i));
  });

  // CORE-2: a user's view of the log is derived from their membership intervals, so a resume that
  // spans a membership change must show exactly what the user was allowed to see, when.
  const describeEvent = (e: EventFrame): string =>
    e.kind === 'messageAdded'
      ? `message ${(e as EventFrame<'messageAdded'>).data.message.body}`
      : e.kind === 'conversationRemoved'
        ? `removed (${(e as EventFrame<'conversationRemoved'>).data.reason})`
        : e.kind === 'participantJoined'
          ? `joined ${(e as EventFrame<'participantJoined'>).data.participant.identity}`
          : e.kind === 'participantLeft'
            ? `left ${(e as EventFrame<'participantLeft'>).data.identity}`
            : e.kind;

  /** Alice's conversation (bob a member or not), and bob gone offline after seeing everything so far. */
  async function bobGoesOffline(bobIsMember: boolean) {
    const server = await start();
    const alice = await connect(server, 'alice');
    const { sid } = await alice.request('conversations.create', {});
    if (bobIsMember) await alice.request('participants.add', { sid, identity: 'bob' });
    const bob = await connect(server, 'bob');
    const seen = bob.lastSeq();
    await bob.close();
    return { server, alice, sid, seen };
  }

  it('CONN-5, CORE-2: added while offline: the resume brings conversationAdded and what follows, nothing from before', async () => {
    const { server, alice, sid, seen } = await bobGoesOffline(false);
    await alice.request('messages.send', { sid, body: 'before', idempotencyKey: key() });

    await alice.request('participants.add', { sid, identity: 'bob' });
    await alice.request('messages.send', { sid, body: 'after', idempotencyKey: key() });
    await alice.request('messages.send', { sid: (await alice.request('conversations.create', {})).sid, body: 'elsewhere', idempotencyKey: key() });

    const again = await connect(server, 'bob', { lastSeq: seen });
    expect(again.welcome.resume).toBe('resumed');
    await again.waitForEvent('messageAdded', (e) => e.data.message.body === 'after');
    expect(again.events().map(describeEvent)).toEqual(['conversationAdded', 'joined bob', 'message after']);
    expectStreamsIntact(again.events(), 'bob');
    // Live events of the conversation follow at once.
    await alice.request('messages.send', { sid, body: 'live', idempotencyKey: key() });
    await again.waitForEvent('messageAdded', (e) => e.data.message.body === 'live');
  });

  it('CONN-5, CORE-2: removed while offline: the resume brings what came before the removal and the removal, nothing after', async () => {
    const { server, alice, sid, seen } = await bobGoesOffline(true);
    await alice.request('messages.send', { sid, body: 'while a member', idempotencyKey: key() });
    await alice.request('participants.remove', { sid, identity: 'bob' });
    await alice.request('messages.send', { sid, body: 'after removal', idempotencyKey: key() });
    await alice.request('conversations.update', { sid, friendlyName: 'secret plans' });

    const again = await connect(server, 'bob', { lastSeq: seen });
    expect(again.welcome.resume).toBe('resumed');
    await again.waitForEvent('conversationRemoved');
    await again.barrier();
    expect(again.events().map(describeEvent)).toEqual(['message while a member', 'removed (removed)']);
    // Nothing of the conversation reaches him live either.
    await alice.request('messages.send', { sid, body: 'still secret', idempotencyKey: key() });
    await again.barrier();
    expect(again.events()).toHaveLength(2);
  });

  it('CONN-5, CORE-2: removed and added again while offline: the gap in between stays hidden', async () => {
    const { server, alice, sid, seen } = await bobGoesOffline(true);
    await alice.request('messages.send', { sid, body: 'one', idempotencyKey: key() });
    await alice.request('participants.remove', { sid, identity: 'bob' });
    await alice.request('messages.send', { sid, body: 'hidden', idempotencyKey: key() });
    await alice.request('participants.add', { sid, identity: 'bob' });
    await alice.request('messages.send', { sid, body: 'three', idempotencyKey: key() });

    const again = await connect(server, 'bob', { lastSeq: seen });
    await again.waitForEvent('messageAdded', (e) => e.data.message.body === 'three');
    expect(again.events().map(describeEvent)).toEqual(['message one', 'removed (removed)', 'conversationAdded', 'joined bob', 'message three']);
    expectStreamsIntact(again.events(), 'bob');
    // A fresh replay of bob's whole view agrees with the resume.
    const everything = await connect(server, 'bob', { lastSeq: 0 });
    await everything.waitForEvent('messageAdded', (e) => e.data.message.body === 'three');
    expect(everything.events().map(describeEvent)).not.toContain('message hidden');
  });

  it('CONN-5: a resume racing with live writes neither loses nor duplicates an event', async () => {
    const server = await start();
    const alice = await connect(server, 'alice');
    const { sid } = await alice.request('conversations.create', {});
    await alice.request('participants.add', { sid, identity: 'bob' });
    const bob = await connect(server, 'bob');
    const start0 = bob.lastSeq();
    // Writes keep flowing while bob reconnects.
    const sends = Array.from({ length: 40 }, (_, i) => alice.request('messages.send', { sid, body: `m${i}`, idempotencyKey: key() }));
    await bob.close();
    const again = await connect(server, 'bob', { lastSeq: start0 });
    await Promise.all(sends);
    await again.waitForEvent('messageAdded', (e) => e.data.message.body === 'm39');
    const seqs = again.events().map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => start0 + 1 + i));
  });

  it('SRV-4: a lastSeq older than the retained log yields resume: resync and live events after headSeq', async () => {
    const server = await start({ retention: { maxEvents: 3 } });
    const alice = await connect(server, 'alice');
    const { sid } = await alice.request('conversations.create', {});
    for (let i = 0; i < 5; i++) await alice.request('messages.send', { sid, body: `m${i}`, idempotencyKey: key() });
    await alice.waitForEvent('messageAdded', (e) => e.data.message.body === 'm4');
    const again = await connect(server, 'alice', { lastSeq: 1 });
    expect(again.welcome).toMatchObject({ resume: 'resync', headSeq: 6 });
    const recent = await connect(server, 'alice', { lastSeq: 3 });
    expect(recent.welcome.resume).toBe('resumed');
    await recent.waitForEvent('messageAdded', (e) => e.seq === 6);
    expect(recent.events().map((e) => e.seq)).toEqual([4, 5, 6]);
    await alice.request('messages.send', { sid, body: 'live', idempotencyKey: key() });
    const live = await again.waitForEvent('messageAdded');
    expect(live.seq).toBe(7);
    expect(again.events()).toHaveLength(1);
  });

  it('SRV-4: events older than maxAgeMs are pruned and resuming before them resyncs', async () => {
    let now = Date.now();
    const server = await start({ retention: { maxAgeMs: 60_000 }, pruneIntervalMs: 20, clock: () => now });
    const alice = await connect(server, 'alice');
    await alice.request('conversations.create', {});
    now += 120_000;
    await alice.request('conversations.create', {});
    // Pruning runs on a short timer; resume from 0 eventually needs the pruned event 1.
    let resume = '';
    for (let attempt = 0; attempt < 50 && resume !== 'resync'; attempt++) {
      const probe = await connect(server, 'alice', { lastSeq: 0 });
      resume = probe.welcome.resume;
      await probe.close();
    }
    expect(resume).toBe('resync');
    expect((await connect(server, 'alice', { lastSeq: 1 })).welcome.resume).toBe('resumed');
  });

  it('CONN-5: a lastSeq ahead of the log gets resume_sequence_invalid, then a resync welcome', async () => {
    const server = await start();
    const alice = await connect(server, 'alice');
    await alice.request('conversations.create', {});
    const ahead = await connect(server, 'alice', { lastSeq: 50 });
    expect(ahead.welcome).toMatchObject({ resume: 'resync', headSeq: 1 });
    expect(ahead.frames[0]).toMatchObject({ type: 'res', id: null, ok: false, error: { code: 'resume_sequence_invalid' } });
  });

  it('PERF-4: a restart on the same file loses no acknowledged write and sequence numbers continue', async () => {
    const db = tempDatabase();
    cleanups.push(db.cleanup);
    const first = await startServer({ port: 0, database: db.path, keys: KEYS });
    const alice = await connectUser(first, 'alice');
    const { sid } = await alice.request('conversations.create', { uniqueName: 'durable' });
    await alice.request('participants.add', { sid, identity: 'bob' });
    const acked = [];
    for (let i = 0; i < 20; i++) acked.push(await alice.request('messages.send', { sid, body: `m${i}`, idempotencyKey: `durable-key-${i}` }));
    const lastSeq = alice.lastSeq();
    await first.close();
    await alice.closed;

    const second = await start({ database: db.path });
    const back = await connect(second, 'alice', { lastSeq });
    expect(back.welcome).toMatchObject({ resume: 'resumed', headSeq: lastSeq });
    const page = await back.request('messages.list', { sid, pageSize: 100 });
    expect(page.items).toEqual(acked);
    // An idempotent retry after the restart still finds its first result.
    expect(await back.request('messages.send', { sid, body: 'm3', idempotencyKey: 'durable-key-3' })).toEqual(acked[3]);
    const next = await back.request('messages.send', { sid, body: 'after restart', idempotencyKey: key() });
    expect(next.index).toBe(20);
    const event = await back.waitForEvent('messageAdded', (e) => e.data.message.index === 20);
    expect(event.seq).toBe(lastSeq + 1);
    const bob = await connect(second, 'bob', { lastSeq: 0 });
    await bob.waitForEvent('messageAdded', (e) => e.data.message.index === 20);
    expect(bob.welcome.resume).toBe('resumed');
    expect(bob.events().filter((e) => e.kind === 'messageAdded')).toHaveLength(21);
  });

  it('SRV-1: close() sends 1001 to connected clients', async () => {
    const server = await startServer({ port: 0, database: ':memory:', keys: KEYS });
    const alice = await connectUser(server, 'alice');
    await server.close();
    expect(await alice.closed).toEqual({ code: 1001, reason: 'server_shutting_down' });
  });
});
