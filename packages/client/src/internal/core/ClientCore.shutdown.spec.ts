import { harness } from '../../../test/core/coreHarness.js';
import { fakeFetch, makeToken, settle, T0 } from '../../../test/core/fakes.js';

const ALL_STREAMS = ['connectionState$', 'connectionError$', 'inbound$', 'sessions$', 'tokenAboutToExpire$', 'tokenExpired$', 'shutdown$', 'discontinuity$'];

describe('ClientCore: shutdown (CONN-8)', () => {
  it('CONN-8: closes the socket with 1000, goes disconnecting → disconnected and completes every observable', async () => {
    const h = harness();
    const socket = h.connect();
    await h.core.shutdown();
    expect(h.states).toEqual(['connecting', 'connected', 'disconnecting', 'disconnected']);
    expect(socket.closeCalls).toEqual([{ code: 1000, reason: 'client closing' }]);
    expect([...h.completed].sort()).toEqual([...ALL_STREAMS].sort());
    expect(h.clock.pending).toBe(0);
    expect(h.platform.watchers).toBe(0);
  });

  it('CONN-8: rejects pending, queued and later calls with client_shut_down; shutdown is idempotent', async () => {
    const h = harness();
    h.connect();
    const inFlight = h.core.request('users.get', { identity: 'a' }, { idempotent: true });
    const inFlightWrite = h.core.request('users.updateMe', { friendlyName: 'x' });
    h.socket().serverClose(1006);
    const queued = h.core.request('users.get', { identity: 'b' });
    const first = h.core.shutdown();
    const second = h.core.shutdown();
    await Promise.all([first, second]);
    await expect(inFlight).rejects.toMatchObject({ code: 'client_shut_down' });
    await expect(inFlightWrite).rejects.toMatchObject({ code: 'connection_lost' }); // it had already failed
    await expect(queued).rejects.toMatchObject({ code: 'client_shut_down' });
    await expect(h.core.request('users.get', { identity: 'c' })).rejects.toMatchObject({ code: 'client_shut_down', retryable: false });
    await expect(h.core.updateToken(makeToken())).rejects.toMatchObject({ code: 'client_shut_down' });
    expect(h.states.filter((state) => state === 'disconnected')).toHaveLength(1);
  });

  it('CONN-8: in-flight calls reject with client_shut_down when shutdown closes the socket', async () => {
    const h = harness();
    h.connect();
    const write = h.core.request('users.updateMe', { friendlyName: 'x' });
    void h.core.shutdown();
    await expect(write).rejects.toMatchObject({ code: 'client_shut_down' });
  });

  it('CONN-8: an updateToken waiting for a connection rejects with client_shut_down', async () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(4001);
    const update = h.core.updateToken(makeToken());
    await h.core.shutdown();
    await expect(update).rejects.toMatchObject({ code: 'client_shut_down' });
  });

  it('CONN-8: late subscribers get completion at once (and shutdown$ its one value)', async () => {
    const h = harness();
    await h.core.shutdown();
    const seen: string[] = [];
    h.core.connectionState$.subscribe({ next: (state) => seen.push(state), complete: () => seen.push('complete') });
    h.core.shutdown$.subscribe({ next: () => seen.push('shutdown'), complete: () => seen.push('shutdown complete') });
    h.core.inbound$.subscribe({ complete: () => seen.push('inbound complete') });
    expect(seen).toEqual(['complete', 'shutdown', 'shutdown complete', 'inbound complete']);
  });

  it('CONN-8: shutting down from every phase leaves nothing scheduled, open or listening', async () => {
    const scenarios: [string, (h: ReturnType<typeof harness>) => Promise<void> | void][] = [
      ['opening', () => undefined],
      ['handshaking', (h) => h.socket().open()],
      ['connected', (h) => void h.connect()],
      ['backoff', (h) => { h.connect(); h.socket().serverClose(1006); }],
      ['probing', (h) => h.socket().fail()],
      ['denied', (h) => { h.connect(); h.socket().serverClose(4001); }],
      ['disconnected (period elapsed)', (h) => { h.socket().fail(); h.clock.advance(61_000); }],
    ];
    for (const [name, reach] of scenarios) {
      const h = harness({ fetch: fakeFetch(new Error('never answers in time')), tokenProvider: async () => makeToken(), token: makeToken({ ttlMs: 3_600_000 }) });
      await reach(h);
      const requested = h.core.request('users.get', { identity: 'x' }).catch(() => 'rejected');
      await h.core.shutdown();
      await settle();
      expect({ name, pending: h.clock.pending, live: h.WS.sockets.filter((socket) => socket.live).length, watchers: h.platform.watchers, requested: await requested })
        .toEqual({ name, pending: 0, live: 0, watchers: 0, requested: 'rejected' });
    }
  });

  it('CONN-8: 100 create/shutdown cycles leak no timer, socket or listener', async () => {
    const h = harness();
    const { clock, platform } = h;
    await h.core.shutdown();
    const { ClientCore } = await import('./ClientCore.js');
    const { fakeWebSocketClass } = await import('../../../test/core/fakes.js');
    const WS = fakeWebSocketClass();
    for (let i = 0; i < 100; i += 1) {
      const core = new ClientCore(makeToken({ issuedAt: clock.now(), ttlMs: 3_600_000 }), {
        url: 'ws://chat.test', WebSocket: WS, scheduler: clock, platform, fetch: null, tokenProvider: async () => makeToken(),
      });
      const subscription = core.connectionState$.subscribe();
      const socket = WS.latest();
      if (i % 3 === 1) socket.open();
      if (i % 3 === 2) {
        socket.open();
        socket.receive({ type: 'welcome', v: 1, identity: 'alice', connectionId: `c${i}`, user: { identity: 'alice', friendlyName: null, attributes: {}, isOnline: true, isNotifiable: false, version: 1 }, headSeq: 0, resume: 'fresh', tokenExpiresAt: T0, heartbeatIntervalMs: 4_000, serverTime: T0 });
        void core.request('users.get', { identity: 'x' }).catch(() => undefined);
      }
      clock.advance(50);
      await core.shutdown();
      expect(subscription.closed).toBe(true);
    }
    expect(clock.pending).toBe(0);
    expect(WS.sockets).toHaveLength(100);
    expect(WS.sockets.filter((socket) => socket.live)).toHaveLength(0);
    expect(WS.sockets.every((socket) => socket.onmessage !== null && socket.onclose !== null)).toBe(true); // detached to no-ops
    expect(platform.watchers).toBe(0);
  });
});

describe('ClientCore: logging (CONN-9)', () => {
  it('CONN-9: debug logs show frames, state transitions with timings, never the token', async () => {
    const token = makeToken({ ttlMs: 3_600_000 });
    const fresh = makeToken({ ttlMs: 7_200_000 });
    const h = harness({ token, fetch: fakeFetch({ status: 401, body: { code: 'token_expired' } }) });
    const socket = h.connect({ headSeq: 4 });
    socket.receive([{ type: 'ev', seq: 5, prev: 4, kind: 'conversationRemoved', data: { sid: 'CH1', reason: 'left' }, at: T0 }]);
    const update = h.core.updateToken(fresh);
    socket.receive({ type: 'res', id: 1, ok: true, result: { expiresAt: 0 } });
    await update;
    socket.serverClose(1006);
    h.clock.advance(100);
    h.socket().fail();
    await settle();
    expect(h.core.connectionState).toBe('denied');
    const text = h.logger.text();
    expect(text).toContain('state opening → handshaking');
    expect(text).toMatch(/afterMs/);
    expect(text).toContain('connection connecting → connected');
    expect(text).toContain('recv 1 frame: welcome resume=fresh headSeq=4');
    expect(text).toContain('recv 1 frame: ev seq=5 conversationRemoved');
    expect(text).toContain('send 1 frame: req#1 token.update');
    for (const secret of [token, fresh]) {
      for (const segment of secret.split('.')) expect(text).not.toContain(segment);
    }
  });

  it('CONN-9: logs nothing at the default level', () => {
    const h = harness({ logLevel: undefined });
    h.connect();
    h.socket().serverClose(1006);
    expect(h.logger.lines).toEqual([]);
  });
});
