/**
 * The FakeServer must behave like the real server (`packages/server`, the reference) wherever a client
 * can observe it. One script of requests by three users runs against both, over raw sockets; every reply
 * and every frame each socket receives must be the same, once sids are numbered by first appearance and
 * times are masked (they are the only values that legitimately differ).
 */
import type { OpArgs, OpName, ServerFrame } from '@rx-conversations/protocol';
import { startServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { TestClient, type WireSocket } from '../../server/test/helpers/TestClient.js';
import { FakeServer } from '../src/index.js';

/** Opens a raw client for `token` on one of the two servers and completes the handshake. */
type Connect = (token: string, lastSeq?: number) => Promise<TestClient<WireSocket>>;

const TIMES = new Set(['createdAt', 'updatedAt', 'joinedAt', 'lastReadAt', 'lastMessageAt', 'at', 'serverTime', 'registeredAt', 'expiresAt', 'tokenExpiresAt']);
const SID = /^(CH|IM|MB|CN)[0-9a-f]{32}$/;

/**
 * Numbers sids by first appearance, masks times and error messages (wording may differ), and the
 * welcome's `rateLimit`: the fake has no rate limit (docs/guides/testing.md) and says so (`null`).
 */
function normalise(value: unknown, sids = new Map<string, string>()): unknown {
  if (typeof value === 'string') {
    const prefix = SID.exec(value)?.[1];
    if (prefix === undefined) return value;
    if (!sids.has(value)) sids.set(value, `${prefix}#${[...sids.values()].filter((s) => s.startsWith(prefix)).length + 1}`);
    return sids.get(value);
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, sids));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, (TIMES.has(k) && typeof v === 'number') || (k === 'message' && typeof v === 'string') || k === 'rateLimit' ? '…' : normalise(v, sids)]),
  );
}

/** Runs the script against a server and returns what every socket saw. */
async function script(connect: Connect, tokenFor: (identity: string) => Promise<string>): Promise<unknown> {
  const alice = await connect(await tokenFor('alice'));
  const bob = await connect(await tokenFor('bob'));
  const carol = await connect(await tokenFor('carol'));
  const peers = [alice, bob, carol];
  const replies: unknown[] = [];
  let keys = 0;
  const key = () => `conformance-key-${++keys}`;
  const step = async <O extends OpName>(who: TestClient<WireSocket>, op: O, args: OpArgs<O>): Promise<ServerFrame> => {
    const reply = await who.requestFrame(op, args);
    replies.push({ op, reply });
    for (const peer of peers) await peer.barrier();
    return reply;
  };

  await step(alice, 'users.subscribe', { identities: ['carol', 'nobody'] });
  const created = await step(alice, 'conversations.create', { friendlyName: 'General', uniqueName: 'general', idempotencyKey: key() });
  if (created.type !== 'res' || !created.ok) throw new Error('create failed');
  const { sid } = created.result as { sid: string };
  await step(alice, 'participants.add', { sid, identity: 'bob', idempotencyKey: key() });
  await step(alice, 'participants.add', { sid, identity: 'carol' });
  await step(alice, 'participants.add', { sid, identity: 'carol' });
  await step(bob, 'messages.send', { sid, body: 'one', idempotencyKey: key() });
  await step(bob, 'messages.send', { sid, body: 'two', attributes: { kind: 'poll' }, idempotencyKey: key() });
  const third = key();
  await step(alice, 'messages.send', { sid, body: 'three', idempotencyKey: third });
  await step(alice, 'messages.send', { sid, body: 'three', idempotencyKey: third });
  await step(alice, 'messages.send', { sid, body: 'three?', idempotencyKey: third });
  await step(alice, 'conversations.counts', { sid });
  await step(alice, 'conversations.setLastRead', { sid, index: 1, mode: 'advance' });
  await step(alice, 'conversations.setLastRead', { sid, index: 0, mode: 'advance' });
  await step(alice, 'conversations.setLastRead', { sid, index: 0, mode: 'set' });
  await step(alice, 'conversations.setLastRead', { sid, index: 99, mode: 'set' });
  await step(alice, 'conversations.setNotificationLevel', { sid, level: 'muted' });
  await step(alice, 'conversations.setNotificationLevel', { sid, level: 'muted' });
  await step(alice, 'participants.update', { sid, identity: 'bob', role: 'admin' });
  await step(bob, 'participants.update', { sid, identity: 'bob', attributes: { seat: 1 } });
  await step(carol, 'participants.update', { sid, identity: 'bob', attributes: { seat: 2 } });
  await step(carol, 'participants.update', { sid, identity: 'nobody', attributes: {} });
  await step(bob, 'messages.update', { sid, index: 0, body: 'one, edited', idempotencyKey: key() });
  await step(carol, 'messages.remove', { sid, index: 0 });
  await step(alice, 'messages.remove', { sid, index: 1, idempotencyKey: key() });
  await step(alice, 'messages.update', { sid, index: 1, body: 'gone' });
  await step(carol, 'conversations.typing', { sid });
  await step(alice, 'conversations.get', { sid });
  await step(bob, 'conversations.get', { uniqueName: 'general' });
  await step(carol, 'conversations.counts', { sid });
  await step(carol, 'participants.remove', { sid, identity: 'carol' });
  await step(carol, 'conversations.peek', { sid });
  await step(carol, 'conversations.get', { sid });
  await step(alice, 'conversations.update', { sid, friendlyName: 'Gen', attributes: { topic: 'lunch' } });
  await step(alice, 'conversations.update', { sid, friendlyName: 'Gen' });
  await step(bob, 'conversations.update', { sid, uniqueName: null });
  await step(alice, 'participants.list', { sid });
  await step(alice, 'messages.list', { sid });
  await step(alice, 'messages.list', { sid, direction: 'forwards', pageSize: 1 });
  await step(alice, 'conversations.list', {});
  await step(bob, 'conversations.leave', { sid });
  await step(bob, 'conversations.join', { uniqueName: 'Gen' });
  await step(bob, 'conversations.join', { sid });
  await step(bob, 'conversations.join', { sid });
  await step(bob, 'participants.remove', { sid, identity: 'alice' });
  await step(alice, 'participants.remove', { sid, identity: 'carol' });
  await step(carol, 'conversations.join', { sid });
  await step(carol, 'users.updateMe', { friendlyName: 'Carol', attributes: { team: 'blue' } });
  await step(alice, 'users.get', { identity: 'carol' });
  await step(alice, 'users.get', { identity: 'nobody' });
  await step(bob, 'push.register', { type: 'fcm', token: 'device-1' });
  await step(bob, 'users.get', { identity: 'bob' });
  // Another connection of bob's resumes from the middle of his log: the events after it are replayed.
  const resumed = await connect(await tokenFor('bob'), 4);
  const ahead = await connect(await tokenFor('bob'), 10_000);
  peers.push(resumed, ahead);
  await step(alice, 'conversations.delete', { sid });
  await step(carol, 'conversations.get', { sid });
  await step(alice, 'conversations.join', { sid });

  await Promise.all(peers.map((peer) => peer.close()));
  // The pongs of the barriers are left out: how many each socket got depends on the script, not the server.
  const seen = (peer: TestClient<WireSocket>) => peer.frames.filter((f) => f.type !== 'pong');
  return normalise({ replies, alice: seen(alice), bob: seen(bob), carol: seen(carol), resumed: seen(resumed), ahead: seen(ahead) });
}

describe('FakeServer conformance with the real server', () => {
  it('SRV-3, SRV-4, SRV-5, CONN-5: the same script gets the same replies, events, signals and resumes', async () => {
    const secret = 'conformance-secret-that-is-at-least-32-bytes';
    const keyId = 'SKconformance00000000000000000000';
    const server = await startServer({ port: 0, database: ':memory:', keys: { [keyId]: secret } });
    let real: unknown;
    try {
      real = await script((token, lastSeq) => TestClient.connect(server.url, token, { lastSeq }), (identity) => createAccessToken({ identity, keyId, secret }));
    } finally {
      await server.close();
    }
    const fake = new FakeServer();
    const faked = await script((token, lastSeq) => TestClient.connect(fake.url, token, { lastSeq, WebSocket: fake.WebSocket }), async (identity) => fake.tokenFor(identity));
    fake.close();
    expect(faked).toEqual(real);
  });
});
