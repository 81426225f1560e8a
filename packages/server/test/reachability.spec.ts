import { describe, expect, it } from '@jest/globals';
import type { SignalFrame } from '@rx-conversations/protocol';
import { MemoryPushSender } from '../src/index.js';
import { key } from './helpers/connectUser.js';
import { useServers } from './helpers/useServers.js';

const userSignal = (frame: { type: string; kind?: string }): frame is SignalFrame<'userUpdated'> => frame.type === 'sig' && frame.kind === 'userUpdated';

describe('reachabilityEnabled (PARITY-4)', () => {
  const { start, connect } = useServers();

  it('PARITY-4: with reachability off nobody sees anyone online or hears them connect, and push still skips connected users', async () => {
    const push = new MemoryPushSender();
    const server = await start({ reachabilityEnabled: false, pushSender: push });
    const watcher = await connect(server, 'watcher');
    await watcher.request('users.subscribe', { identities: ['bob'] });
    const bob = await connect(server, 'bob');
    expect(bob.welcome.user.isOnline).toBe(false);
    await bob.request('push.register', { type: 'fcm', token: 'bob-phone' });
    expect((await watcher.request('users.get', { identity: 'bob' })).isOnline).toBe(false);

    // A later profile change is signalled, and nothing about bob connecting came before it.
    await bob.request('users.updateMe', { friendlyName: 'Bob' });
    const changed = await watcher.waitFor((f) => userSignal(f) && f.data.user.friendlyName === 'Bob');
    expect((changed as SignalFrame<'userUpdated'>).data.user.isOnline).toBe(false);
    const signals = watcher.frames.filter(userSignal);
    expect(signals.map((s) => s.data.updateReasons)).toEqual([['isNotifiable'], ['friendlyName']]);

    // Push: bob is connected, so a message is not pushed to him; once he is gone, it is. Carol, connected
    // nowhere, gets every push: hers shows the server has decided about everyone for that message.
    const carol = await connect(server, 'carol');
    await carol.request('push.register', { type: 'fcm', token: 'carol-phone' });
    await carol.close();
    const { sid } = await watcher.request('conversations.create', { friendlyName: 'reach' });
    await watcher.request('participants.add', { sid, identity: 'bob' });
    await watcher.request('participants.add', { sid, identity: 'carol' });
    await watcher.request('messages.send', { sid, body: 'while connected', idempotencyKey: key() });
    await push.waitFor((d) => d.identity === 'carol' && d.payload.body === 'while connected');
    expect(push.deliveries.filter((d) => d.identity === 'bob')).toEqual([]);
    await bob.close();
    await watcher.request('messages.send', { sid, body: 'while away', idempotencyKey: key() });
    const pushed = await push.waitFor((d) => d.identity === 'bob');
    expect(pushed.payload).toMatchObject({ body: 'while away' });
    expect(push.deliveries.filter((d) => d.identity === 'bob')).toHaveLength(1);
  });
});
