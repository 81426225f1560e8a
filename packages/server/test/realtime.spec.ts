import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ServerFrame, SignalFrame } from '@rx-conversations/protocol';
import { MemoryPushSender, startServer, type RunningServer } from '../src/index.js';
import { connectUser, key } from './helpers/connectUser.js';
import { KEYS } from './helpers/testKeys.js';
import type { TestClient } from './helpers/TestClient.js';

let server: RunningServer;
const push = new MemoryPushSender();
const open: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: KEYS, pushSender: push });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => server.close());

async function user(identity: string): Promise<TestClient> {
  const client = await connectUser(server, identity);
  open.push(client);
  return client;
}

const userSignal = (predicate: (data: SignalFrame<'userUpdated'>['data']) => boolean) => (f: ServerFrame) =>
  f.type === 'sig' && f.kind === 'userUpdated' && predicate((f as SignalFrame<'userUpdated'>).data);

let n = 0;
const unique = (name: string) => `${name}-${++n}`;

describe('push dispatch (SRV-3)', () => {
  it('SRV-3: a new message is pushed to offline, registered, unmuted participants only', async () => {
    const [alice, bob, carol, dave] = [unique('alice'), unique('bob'), unique('carol'), unique('dave')];
    const a = await user(alice);
    const { sid } = await a.request('conversations.create', { friendlyName: 'Trip' });
    for (const identity of [bob, carol, dave]) await a.request('participants.add', { sid, identity });
    // Each registers a device; bob and carol then go offline, dave stays online; carol mutes.
    for (const identity of [bob, carol, dave]) {
      const c = await user(identity);
      expect(await c.request('push.register', { type: 'fcm', token: `device-of-${identity}` })).toHaveProperty('registeredAt');
      expect((await c.request('users.get', { identity })).isNotifiable).toBe(true);
      if (identity === carol) await c.request('conversations.setNotificationLevel', { sid, level: 'muted' });
      if (identity !== dave) await c.close();
    }
    const body = 'y'.repeat(400);
    const message = await a.request('messages.send', { sid, body, idempotencyKey: key() });
    const delivery = await push.waitFor((d) => d.identity === bob);
    expect(delivery).toEqual({
      identity: bob,
      type: 'fcm',
      token: `device-of-${bob}`,
      payload: {
        rxc: 1,
        kind: 'newMessage',
        conversationSid: sid,
        conversationTitle: 'Trip',
        messageSid: message.sid,
        messageIndex: message.index,
        author: alice,
        body: 'y'.repeat(256),
      },
    });
    const forThisConversation = push.deliveries.filter((d) => d.payload.conversationSid === sid);
    expect(forThisConversation.map((d) => d.identity)).toEqual([bob]);
  });

  it('SRV-3: push.unregister stops deliveries', async () => {
    const [alice, bob] = [unique('alice'), unique('bob')];
    const a = await user(alice);
    const { sid } = await a.request('conversations.create', {});
    await a.request('participants.add', { sid, identity: bob });
    const b = await user(bob);
    await b.request('push.register', { type: 'apn', token: 'apn-token' });
    await b.request('push.unregister', { type: 'apn', token: 'apn-token' });
    expect((await b.request('users.get', { identity: bob })).isNotifiable).toBe(false);
    await b.close();
    await a.request('messages.send', { sid, body: 'hello?', idempotencyKey: key() });
    await a.request('users.get', { identity: alice });
    expect(push.deliveries.filter((d) => d.identity === bob)).toEqual([]);
  });
});

describe('typing and reachability (SRV-3)', () => {
  it('SRV-3: typing reaches the other participants only, as an ephemeral signal', async () => {
    const [alice, bob, eve] = [unique('alice'), unique('bob'), unique('eve')];
    const a = await user(alice);
    const b = await user(bob);
    const e = await user(eve);
    const { sid } = await a.request('conversations.create', {});
    await a.request('participants.add', { sid, identity: bob });
    expect(await a.request('conversations.typing', { sid })).toBeNull();
    const signal = (await b.waitFor((f) => f.type === 'sig' && f.kind === 'typing')) as SignalFrame<'typing'>;
    expect(signal.data).toEqual({ conversationSid: sid, identity: alice });
    await e.request('users.get', { identity: eve });
    await a.request('users.get', { identity: alice });
    expect(a.frames.filter((f) => f.type === 'sig')).toEqual([]);
    expect(e.frames.filter((f) => f.type === 'sig')).toEqual([]);
    // Not durable: nothing in bob's log.
    expect(b.events().some((ev) => (ev.kind as string) === 'typing')).toBe(false);
  });

  it('SRV-3: watchers see a user come online and go offline; users.updateMe is durable for self and signalled to watchers', async () => {
    const [watcher, bob] = [unique('watcher'), unique('bob')];
    const w = await user(watcher);
    const subscribed = await w.request('users.subscribe', { identities: [bob] });
    expect(subscribed.items).toEqual([]);
    const b = await user(bob);
    const online = (await w.waitFor(userSignal((d) => d.user.isOnline))) as SignalFrame<'userUpdated'>;
    expect(online.data).toMatchObject({ user: { identity: bob, isOnline: true }, updateReasons: ['isOnline'] });
    const second = await user(bob);
    const me = await b.request('users.updateMe', { friendlyName: 'Bob', attributes: { tz: 'UTC' } });
    expect(me).toMatchObject({ friendlyName: 'Bob', attributes: { tz: 'UTC' }, isOnline: true });
    for (const device of [b, second]) {
      const event = await device.waitForEvent('userUpdated');
      expect(event.data.updateReasons).toEqual(['friendlyName', 'attributes']);
    }
    const signalled = (await w.waitFor(userSignal((d) => d.user.friendlyName === 'Bob'))) as SignalFrame<'userUpdated'>;
    expect(signalled.data.user.version).toBe(me.version);
    await b.close();
    await second.close();
    const offline = (await w.waitFor(userSignal((d) => !d.user.isOnline))) as SignalFrame<'userUpdated'>;
    expect(offline.data.user.version).toBeGreaterThan(me.version);
    expect((await w.request('users.get', { identity: bob })).isOnline).toBe(false);
    await w.request('users.unsubscribe', { identities: [bob] });
    const count = w.frames.length;
    const again = await user(bob);
    await again.request('users.get', { identity: bob });
    await w.request('users.get', { identity: watcher });
    expect(w.frames.slice(count).filter((f) => f.type === 'sig')).toEqual([]);
    expect((await w.requestError('users.get', { identity: unique('nobody') })).code).toBe('user_not_found');
  });
});
