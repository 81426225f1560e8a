// Conversation state and its timers (PARITY-1), on a real server whose clock the test moves: the
// server's own sweep moves conversations with nobody acting, and every member hears it.
import { describe, expect, it } from '@jest/globals';
import { key } from './helpers/connectUser.js';
import { useServers } from './helpers/useServers.js';
import { ACCOUNT_SID, SERVICE_SID, restFailure, twilioClientFor } from './helpers/twilioRest.js';
import { tokenFor } from './helpers/testKeys.js';
import { TestClient } from './helpers/TestClient.js';
import type { RunningServer } from '../src/index.js';

const MINUTE = 60_000;

/** A clock the test moves by hand. */
function handClock(start = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

describe('conversation state (PARITY-1)', () => {
  const { start, connect, cleanups } = useServers();
  /** A client whose token outlives the hours the test's clock moves through. */
  const connectForADay = async (server: RunningServer, identity: string): Promise<TestClient> => {
    const client = await TestClient.connect(server.url, await tokenFor(identity, { ttlSeconds: 24 * 3600 }));
    cleanups.push(() => client.close());
    return client;
  };

  it('PARITY-1: the timers make a conversation inactive then closed on the server\'s clock; a message wakes it and starts them again', async () => {
    const clock = handClock();
    const server = await start({ clock: clock.now, stateSweepMs: 5 });
    const ada = await connectForADay(server, 'ada');
    const created = await ada.request('conversations.create', { friendlyName: 'Ticket', timers: { inactive: 'PT5M', closed: 'PT1H' }, idempotencyKey: key() });
    const t0 = clock.now();
    expect(created.state).toEqual({ current: 'active', updatedAt: t0 });
    expect(created.timers).toEqual({ inactiveAt: t0 + 5 * MINUTE, closedAt: t0 + 60 * MINUTE });
    await ada.request('participants.add', { sid: created.sid, identity: 'bob' });
    const bob = await connectForADay(server, 'bob');

    // Four minutes: nothing. Five: inactive, told to everyone, nobody having done anything.
    clock.advance(4 * MINUTE);
    await ada.barrier();
    clock.advance(MINUTE);
    const inactive = await bob.waitForEvent('conversationUpdated', (e) => e.data.updateReasons.includes('state'));
    expect(inactive.data.conversation.state).toEqual({ current: 'inactive', updatedAt: t0 + 5 * MINUTE });
    // The closed timer keeps running from the last message (here: creation).
    expect(inactive.data.conversation.timers).toEqual({ inactiveAt: null, closedAt: t0 + 60 * MINUTE });

    // A message wakes it, and starts both timers from now.
    clock.advance(10 * MINUTE);
    const t1 = clock.now();
    await bob.request('messages.send', { sid: created.sid, body: 'still there?', idempotencyKey: key() });
    const woken = await ada.waitForEvent('conversationUpdated', (e) => e.data.conversation.state.current === 'active');
    expect(woken.data).toMatchObject({ updateReasons: ['state'], conversation: { state: { current: 'active', updatedAt: t1 }, timers: { inactiveAt: t1 + 5 * MINUTE, closedAt: t1 + 60 * MINUTE } } });

    // An hour with no message: inactive at five minutes, closed at sixty.
    clock.advance(60 * MINUTE);
    const closed = await bob.waitForEvent('conversationUpdated', (e) => e.data.conversation.state.current === 'closed');
    expect(closed.data.conversation.timers).toEqual({ inactiveAt: null, closedAt: null });
    expect((await ada.request('conversations.get', { sid: created.sid })).state.current).toBe('closed');
  });

  it('PARITY-1: a closed conversation is read-only and stays closed; members may still read, leave and mark read', async () => {
    const server = await start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: 'auth-token-of-the-test-account-0001' });
    const ada = await connect(server, 'ada');
    const { sid } = await ada.request('conversations.create', { idempotencyKey: key() });
    await ada.request('participants.add', { sid, identity: 'bob' });
    const first = await ada.request('messages.send', { sid, body: 'before', idempotencyKey: key() });
    const closed = await ada.request('conversations.update', { sid, state: 'closed' });
    expect(closed.state.current).toBe('closed');

    const refusals = await Promise.all([
      ada.requestError('messages.send', { sid, body: 'after', idempotencyKey: key() }),
      ada.requestError('messages.update', { sid, index: first.index, body: 'edited' }),
      ada.requestError('messages.remove', { sid, index: first.index }),
      ada.requestError('conversations.update', { sid, friendlyName: 'renamed' }),
      ada.requestError('participants.add', { sid, identity: 'carol' }),
      ada.requestError('participants.update', { sid, identity: 'bob', attributes: { x: 1 } }),
      ada.requestError('conversations.typing', { sid }),
    ]);
    expect(refusals.map((e) => e.code)).toEqual(Array(7).fill('conversation_closed'));
    const reopen = await ada.requestError('conversations.update', { sid, state: 'active' });
    expect(reopen).toMatchObject({ code: 'state_change_invalid', details: { path: 'args.state' } });
    // Asking it to stay closed changes nothing and is no error.
    expect((await ada.request('conversations.update', { sid, state: 'closed' })).version).toBe(closed.version);

    expect((await ada.request('messages.list', { sid })).items.map((m) => m.body)).toEqual(['before']);
    await ada.request('conversations.setLastRead', { sid, index: first.index, mode: 'set' });
    const bob = await connect(server, 'bob');
    await bob.request('conversations.leave', { sid });

    // Through REST, the same rules: Twilio's library sees the state and a 409 for a write.
    const backend = twilioClientFor(server).conversations.v1;
    expect((await backend.conversations(sid).fetch()).state).toBe('closed');
    expect(await restFailure(backend.conversations(sid).messages.create({ body: 'from the backend' }))).toMatchObject({ status: 409, code: 20409 });
  });

  it('PARITY-1: REST sets state and timers with Twilio\'s fields; bad timers and states get precise errors', async () => {
    const clock = handClock();
    const server = await start({ clock: clock.now, stateSweepMs: 5, accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: 'auth-token-of-the-test-account-0001' });
    const backend = twilioClientFor(server).conversations.v1;
    const created = await backend.conversations.create({ friendlyName: 'Timed', 'timers.inactive': 'PT10M', 'timers.closed': 'P1D' });
    expect(created.state).toBe('active');
    expect(created.timers).toEqual({ date_inactive: new Date(clock.now() + 10 * MINUTE).toISOString().replace(/\.\d{3}Z$/, 'Z'), date_closed: new Date(clock.now() + 24 * 60 * MINUTE).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    await backend.conversations(created.sid).participants.create({ identity: 'ada' });
    const ada = await connectForADay(server, 'ada');

    const inactive = await backend.conversations(created.sid).update({ state: 'inactive' });
    expect(inactive.state).toBe('inactive');
    expect((await ada.waitForEvent('conversationUpdated', (e) => e.data.updateReasons.includes('state'))).data.conversation.state.current).toBe('inactive');
    // Stopping the closed timer: an empty duration.
    const untimed = await backend.conversations(created.sid).update({ 'timers.closed': '' });
    expect(untimed.timers).toEqual({});

    const errors = await Promise.all([
      ada.requestError('conversations.create', { timers: { inactive: 'PT30S' }, idempotencyKey: key() }),
      ada.requestError('conversations.create', { timers: { closed: 'PT5M' }, idempotencyKey: key() }),
      ada.requestError('conversations.create', { timers: { inactive: 'P1M' }, idempotencyKey: key() }),
      ada.requestError('conversations.create', { timers: { inactive: 'ten minutes' }, idempotencyKey: key() }),
      ada.requestError('conversations.create', { state: 'paused' as 'active', idempotencyKey: key() }),
    ]);
    expect(errors.map((e) => [e.code, e.details?.path])).toEqual([
      ['invalid_argument', 'args.timers.inactive'],
      ['invalid_argument', 'args.timers.closed'],
      ['invalid_argument', 'args.timers.inactive'],
      ['invalid_argument', 'args.timers.inactive'],
      ['invalid_argument', 'args.state'],
    ]);
    expect(await restFailure(backend.conversations.create({ 'timers.inactive': 'PT1S' }))).toMatchObject({ status: 400, code: 20001 });
  });
});
