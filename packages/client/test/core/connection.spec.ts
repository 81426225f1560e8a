// Integration: the connection core against the real server (packages/server), through a TCP proxy
// that can cut, refuse and stall connections. Real time, small timeouts, no sleeps.
import { filter, firstValueFrom, interval, map, timeout, type Observable } from 'rxjs';
import WebSocket from 'ws';
import { StreamPositions, type Conversation, type EventFrame, type Message } from '@rx-conversations/protocol';
import { startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import type { ClientOptions, WebSocketConstructor } from '../../src/ClientOptions.js';
import { ClientCore } from '../../src/internal/core/ClientCore.js';
import type { InboundFrame } from '../../src/internal/Session.js';
import { RecordingLogger } from './fakes.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';

const KEY_ID = 'SKintegration';
const SECRET = 'integration-secret-of-at-least-32-bytes!';

const token = (identity: string, extra: Partial<Parameters<typeof createAccessToken>[0]> = {}): Promise<string> =>
  createAccessToken({ identity, keyId: KEY_ID, secret: SECRET, ttlSeconds: 3600, ...extra } as Parameters<typeof createAccessToken>[0]);

const waitFor = <T>(source: Observable<T>, predicate: (value: T) => boolean, ms = 5_000): Promise<T> =>
  firstValueFrom(source.pipe(filter(predicate), timeout(ms)));

/** `ws`, counting the sockets it constructs. */
function countingWebSocket(): { WebSocket: WebSocketConstructor; readonly created: number } {
  let created = 0;
  class Counting extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      created += 1;
    }
  }
  return { WebSocket: Counting, get created() { return created; } };
}

const clients: ClientCore[] = [];
function client(accessToken: string, url: string, options: Partial<ClientOptions> = {}): ClientCore {
  const core = new ClientCore(accessToken, {
    url,
    WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    heartbeat: { intervalMs: 300, timeoutMs: 1_000 },
    ...options,
  });
  clients.push(core);
  return core;
}

const connected = (core: ClientCore, ms = 5_000) => waitFor(core.connectionState$, (state) => state === 'connected', ms);

describe('connection core against the real server', () => {
  let server: RunningServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET } });
  });

  beforeEach(async () => {
    proxy = await startTcpProxy(server.port);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((core) => core.shutdown()));
    await proxy.close();
  });

  afterAll(async () => {
    await server.close();
  });

  it('CONN-1: connects and completes the handshake', async () => {
    const alice = client(await token('alice'), server.url);
    await connected(alice);
    expect(alice.user?.identity).toBe('alice');
    expect(alice.identity).toBe('alice');
    const me = await alice.request('users.get', { identity: 'alice' }, { idempotent: true });
    expect(me.identity).toBe('alice');
  });

  it('CONN-3, CONN-5: a cut connection reconnects and resumes with no loss or duplicate; offline calls go out after', async () => {
    const alice = client(await token('alice'), proxy.url);
    const bob = client(await token('bob'), server.url);
    const events: EventFrame[] = [];
    alice.inbound$.subscribe((batch: readonly InboundFrame[]) => {
      for (const frame of batch) if (frame.type === 'ev') events.push(frame);
    });
    await Promise.all([connected(alice), connected(bob)]);
    const conversation: Conversation = await alice.request('conversations.create', { friendlyName: 'resume', idempotencyKey: 'create-resume-1' });
    await alice.request('participants.add', { sid: conversation.sid, identity: 'bob', idempotencyKey: 'add-bob-0001' });

    proxy.refuse = true;
    proxy.cutAll();
    await waitFor(alice.connectionState$, (state) => state === 'connecting');
    for (let i = 0; i < 5; i += 1) {
      await bob.request('messages.send', { sid: conversation.sid, body: `m${i}`, idempotencyKey: `bob-message-${i}` });
    }
    const offlineSend = alice.request('messages.send', { sid: conversation.sid, body: 'from alice, sent offline', idempotencyKey: 'alice-offline-1' }, { idempotent: true });
    const resumed = waitFor(alice.sessions$, (session) => session.resume === 'resumed');
    proxy.refuse = false;
    await resumed;
    const sent: Message = await offlineSend;
    expect(sent.body).toBe('from alice, sent offline');
    await waitFor(interval(10).pipe(map(() => events.filter((frame) => frame.kind === 'messageAdded').length)), (count) => count >= 6);

    const seqs = events.map((frame) => frame.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const streams = new StreamPositions();
    expect(events.filter((frame) => !streams.accept(frame))).toEqual([]); // no event of a stream missing
    const bodies = events.filter((frame) => frame.kind === 'messageAdded').map((frame) => (frame.data as { message: Message }).message.body);
    expect(bodies).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'from alice, sent offline']);
  });

  it('CONN-4: a silent half-open connection is noticed within the heartbeat timeout and replaced', async () => {
    const alice = client(await token('alice'), proxy.url, { heartbeat: { intervalMs: 300, timeoutMs: 1_000 } });
    await connected(alice);
    const stalledAt = Date.now();
    proxy.stallAll();
    await waitFor(alice.connectionState$, (state) => state === 'connecting', 10_000);
    const noticedAfter = Date.now() - stalledAt;
    expect(noticedAfter).toBeLessThan(2_500);
    const session = await waitFor(alice.sessions$, () => true, 5_000);
    expect(session.resume).toBe('resumed');
    expect(alice.connectionState).toBe('connected');
    expect(proxy.accepted).toBe(2);
  });

  it('CONN-2: a token signed with the wrong key makes the client denied, with the server\'s code', async () => {
    const forged = await createAccessToken({ identity: 'alice', keyId: KEY_ID, secret: 'another-secret-that-is-32-bytes-long!!', ttlSeconds: 3600 });
    const alice = client(forged, server.url);
    const error = firstValueFrom(alice.connectionError$.pipe(timeout(5_000)));
    await waitFor(alice.connectionState$, (state) => state === 'denied');
    expect((await error).code).toBe('token_signature_invalid');
  });

  it('CONN-2: an expired token makes the client denied', async () => {
    const expired = await token('alice', { now: () => Date.now() - 2 * 3_600_000 });
    const alice = client(expired, server.url);
    const error = firstValueFrom(alice.connectionError$.pipe(timeout(5_000)));
    const gone = firstValueFrom(alice.tokenExpired$.pipe(timeout(5_000)));
    await waitFor(alice.connectionState$, (state) => state === 'denied');
    expect((await error).code).toBe('token_expired');
    await gone;
  });

  it('CONN-7: updateToken swaps the token on the same socket; a bad one is refused and the connection stays', async () => {
    const counting = countingWebSocket();
    const alice = client(await token('alice'), server.url, { WebSocket: counting.WebSocket });
    await connected(alice);
    const states: string[] = [];
    alice.connectionState$.subscribe((state) => states.push(state));
    await alice.updateToken(await token('alice', { ttlSeconds: 7200 }));
    const forged = await createAccessToken({ identity: 'alice', keyId: KEY_ID, secret: 'another-secret-that-is-32-bytes-long!!', ttlSeconds: 3600 });
    await expect(alice.updateToken(forged)).rejects.toMatchObject({ code: 'token_signature_invalid' });
    await expect(alice.updateToken(await token('mallory'))).rejects.toMatchObject({ code: 'token_identity_mismatch' });
    await alice.request('users.get', { identity: 'alice' });
    expect(counting.created).toBe(1);
    expect(states).toEqual(['connected']);
  });

  it('CONN-7: tokenProvider refreshes on the server\'s notice without a disconnect', async () => {
    const noticing = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET }, tokenNoticeLeadMs: 179_000 });
    try {
      const counting = countingWebSocket();
      const logger = new RecordingLogger();
      let calls = 0;
      const alice = client(await token('alice', { ttlSeconds: 180 }), noticing.url, {
        WebSocket: counting.WebSocket,
        logger,
        logLevel: 'info',
        tokenProvider: async () => {
          calls += 1;
          return token('alice', { ttlSeconds: 3600 });
        },
      });
      const states: string[] = [];
      alice.connectionState$.subscribe((state) => states.push(state));
      const notice = firstValueFrom(alice.tokenAboutToExpire$.pipe(timeout(5_000)));
      await connected(alice);
      await notice;
      await waitFor(interval(10).pipe(map(() => logger.lines.some((line) => line.message === 'token updated on the open connection'))), Boolean);
      expect(calls).toBe(1);
      expect(counting.created).toBe(1);
      expect(states).toEqual(['connecting', 'connected']);
    } finally {
      await Promise.all(clients.splice(0).map((core) => core.shutdown()));
      await noticing.close();
    }
  });

  it('CONN-8: shutdown closes the socket and completes everything', async () => {
    const alice = client(await token('alice'), server.url);
    await connected(alice);
    const completed: string[] = [];
    const watch = (name: string, source: Observable<unknown>) => source.subscribe({ complete: () => completed.push(name) });
    watch('connectionState$', alice.connectionState$);
    watch('inbound$', alice.inbound$);
    watch('sessions$', alice.sessions$);
    watch('connectionError$', alice.connectionError$);
    watch('tokenAboutToExpire$', alice.tokenAboutToExpire$);
    watch('tokenExpired$', alice.tokenExpired$);
    watch('shutdown$', alice.shutdown$);
    const pending = alice.request('users.get', { identity: 'nobody-answers-this-in-time' });
    await alice.shutdown();
    expect(completed.sort()).toEqual(['connectionError$', 'connectionState$', 'inbound$', 'sessions$', 'shutdown$', 'tokenAboutToExpire$', 'tokenExpired$']);
    await expect(pending).rejects.toMatchObject({ code: 'client_shut_down' });
    await expect(alice.request('users.get', { identity: 'alice' })).rejects.toMatchObject({ code: 'client_shut_down' });
  });
});
