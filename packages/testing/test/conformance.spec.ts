/**
 * The FakeServer must behave like the real server (`packages/server`, the reference) wherever a client
 * can observe it. One script of requests by three users runs against both, over raw sockets; every reply
 * and every frame each socket receives must be the same, once sids are numbered by first appearance and
 * times are masked (they are the only values that legitimately differ).
 */
import { decodeServerMessage, type OpArgs, type OpName, type ServerFrame } from '@rx-conversations/protocol';
import { startServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { filter, firstValueFrom, startWith, Subject, throwError, timeout } from 'rxjs';
import WebSocket from 'ws';
import { FakeServer } from '../src/index.js';

/** The part of a browser-style `WebSocket` both `ws` and `FakeWebSocket` have. */
interface PeerSocket {
  onopen: (() => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}
type PeerSocketConstructor = new (url: string, protocols: string[]) => PeerSocket;

const WAIT_MS = 3_000;

/** A raw protocol client that records every frame but the pongs it uses as barriers. */
class Peer {
  readonly frames: ServerFrame[] = [];
  private nextId = 1;
  private pongs = 0;
  /** Ticks after each websocket message has been recorded. */
  private readonly received = new Subject<void>();

  private constructor(private readonly socket: PeerSocket) {
    socket.onmessage = (event) => {
      for (const frame of decodeServerMessage(String(event.data)) ?? []) {
        if (frame.type === 'pong') this.pongs += 1;
        else this.frames.push(frame);
      }
      this.received.next();
    };
  }

  static async open(Socket: PeerSocketConstructor, url: string, token: string, lastSeq?: number): Promise<Peer> {
    const socket = new Socket(url, ['rxc.v1', `rxc.auth.${token}`]);
    const peer = new Peer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = (event) => reject(new Error(`socket error ${String(event)}`));
    });
    socket.send(JSON.stringify(lastSeq === undefined ? { type: 'hello', v: 2 } : { type: 'hello', v: 2, lastSeq }));
    await peer.until(() => peer.frames.some((f) => f.type === 'welcome'), 'welcome');
    return peer;
  }

  /** Sends a request and resolves with its reply, ok or not. */
  async request<O extends OpName>(op: O, args: OpArgs<O>): Promise<ServerFrame> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ type: 'req', id, op, args }));
    const isReply = (f: ServerFrame) => f.type === 'res' && f.id === id;
    await this.until(() => this.frames.some(isReply), `the reply to ${op}`);
    return this.frames.find(isReply)!;
  }

  /**
   * Resolves once everything the server queued for this socket before now has arrived: both servers
   * answer a ping on the same ordered queue, after whatever an earlier request caused.
   */
  async barrier(): Promise<void> {
    const want = this.pongs + 1;
    this.socket.send(JSON.stringify({ type: 'ping' }));
    await this.until(() => this.pongs >= want, 'pong');
  }

  close(): void {
    this.socket.close(1000);
  }

  private async until(check: () => boolean, what: string): Promise<void> {
    await firstValueFrom(
      this.received.pipe(
        startWith(undefined),
        filter(check),
        timeout({ first: WAIT_MS, with: () => throwError(() => new Error(`no ${what} within ${WAIT_MS} ms`)) }),
      ),
    );
  }
}

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
async function script(Socket: PeerSocketConstructor, url: string, tokenFor: (identity: string) => Promise<string>): Promise<unknown> {
  const alice = await Peer.open(Socket, url, await tokenFor('alice'));
  const bob = await Peer.open(Socket, url, await tokenFor('bob'));
  const carol = await Peer.open(Socket, url, await tokenFor('carol'));
  const peers = [alice, bob, carol];
  const replies: unknown[] = [];
  let keys = 0;
  const key = () => `conformance-key-${++keys}`;
  const step = async <O extends OpName>(who: Peer, op: O, args: OpArgs<O>): Promise<ServerFrame> => {
    const reply = await who.request(op, args);
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
  const resumed = await Peer.open(Socket, url, await tokenFor('bob'), 4);
  const ahead = await Peer.open(Socket, url, await tokenFor('bob'), 10_000);
  peers.push(resumed, ahead);
  await step(alice, 'conversations.delete', { sid });
  await step(carol, 'conversations.get', { sid });
  await step(alice, 'conversations.join', { sid });

  for (const peer of peers) peer.close();
  return normalise({ replies, alice: alice.frames, bob: bob.frames, carol: carol.frames, resumed: resumed.frames, ahead: ahead.frames });
}

describe('FakeServer conformance with the real server', () => {
  it('SRV-3, SRV-4, SRV-5, CONN-5: the same script gets the same replies, events, signals and resumes', async () => {
    const secret = 'conformance-secret-that-is-at-least-32-bytes';
    const keyId = 'SKconformance00000000000000000000';
    const server = await startServer({ port: 0, database: ':memory:', keys: { [keyId]: secret } });
    let real: unknown;
    try {
      real = await script(WebSocket as unknown as PeerSocketConstructor, server.url, (identity) => createAccessToken({ identity, keyId, secret }));
    } finally {
      await server.close();
    }
    const fake = new FakeServer();
    const faked = await script(fake.WebSocket as unknown as PeerSocketConstructor, fake.url, async (identity) => fake.tokenFor(identity));
    fake.close();
    expect(faked).toEqual(real);
  });
});
