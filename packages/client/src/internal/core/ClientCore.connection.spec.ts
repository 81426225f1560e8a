import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '@rx-conversations/protocol';
import { harness } from '../../../test/core/coreHarness.js';
import { ev, fakeFetch, makeToken, settle, T0 } from '../../../test/core/fakes.js';

describe('ClientCore: connecting (CONN-1, CONN-2)', () => {
  it('CONN-1: connects at once, offering the subprotocol and the token, and says hello without lastSeq', () => {
    const h = harness();
    expect(h.WS.sockets).toHaveLength(1);
    const socket = h.socket();
    expect(socket.url).toBe('ws://chat.test/ws');
    expect(socket.protocols).toEqual([SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + h.token]);
    expect(h.states).toEqual(['connecting']);
    socket.open();
    expect(socket.frames).toEqual([{ type: 'hello', v: 2 }]);
    expect(h.states).toEqual(['connecting']);
  });

  it('CONN-2: welcome makes it connected and starts a session with the user', () => {
    const h = harness();
    h.connect({ headSeq: 12, connectionId: 'conn-7' });
    expect(h.states).toEqual(['connecting', 'connected']);
    expect(h.sessions).toEqual([{ resume: 'fresh', headSeq: 12, user: expect.objectContaining({ identity: 'alice' }), connectionId: 'conn-7' }]);
    expect(h.core.user?.identity).toBe('alice');
    expect(h.core.identity).toBe('alice');
    expect(h.core.connectionState).toBe('connected');
    expect(h.core.lastAppliedSeq).toBe(12);
  });

  it('CONN-2: connectionState$ replays the current state to late subscribers and emits only changes', () => {
    const h = harness();
    h.connect();
    h.platform.fire('online'); // no state change
    const late: string[] = [];
    h.core.connectionState$.subscribe((state) => late.push(state));
    expect(late).toEqual(['connected']);
    expect(h.states).toEqual(['connecting', 'connected']);
  });

  it('CONN-1: a token that is not a JWT makes the client denied without throwing or opening a socket', () => {
    const h = harness({ token: 'not-a-jwt' });
    expect(h.states).toEqual(['denied']);
    expect(h.WS.sockets).toHaveLength(0);
    expect(h.core.identity).toBe('');
    h.clock.advance(0);
    expect(h.errors.map((error) => error.code)).toEqual(['token_malformed']);
    expect(h.expired).toBe(1);
    h.clock.advance(600_000);
    expect(h.WS.sockets).toHaveLength(0);
  });

  it('CONN-1: ignores a binary or undecodable message instead of failing', () => {
    const h = harness();
    const socket = h.connect();
    socket.receiveRaw(new Uint8Array([1, 2]));
    socket.receiveRaw('{nope');
    socket.receive(ev(1));
    expect(h.batches).toEqual([[ev(1)]]);
    expect(h.states).toEqual(['connecting', 'connected']);
  });
});

describe('ClientCore: reconnection (CONN-3)', () => {
  it('CONN-3: a dropped connection retries fast, then backs off exponentially up to the cap', () => {
    const h = harness({ reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 0.5, connectingPeriodMs: 600_000 } });
    h.connect();
    h.socket().serverClose(1006);
    expect(h.states).toEqual(['connecting', 'connected', 'connecting']);
    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const count = h.WS.sockets.length;
      let waited = 0;
      while (h.WS.sockets.length === count) {
        h.clock.advance(10);
        waited += 10;
        if (waited > 5_000) throw new Error('no retry');
      }
      delays.push(waited);
      h.socket().fail(); // fails before open; no fetch → inconclusive → backoff
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('CONN-3: a server that welcomes and then drops at once is retried ever more slowly; 10 s connected resets it', () => {
    const h = harness({ reconnect: { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 0.5, connectingPeriodMs: 600_000 } });
    h.connect();
    const delays: number[] = [];
    const dropAndWait = (): number => {
      h.socket().serverClose(1006);
      const count = h.WS.sockets.length;
      let waited = 0;
      while (h.WS.sockets.length === count) {
        h.clock.advance(10);
        waited += 10;
        if (waited > 10_000) throw new Error('no retry');
      }
      h.connect();
      return waited;
    };
    for (let i = 0; i < 6; i += 1) delays.push(dropAndWait());
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 3_200]);
    // Stable: 10 s connected, answering pings.
    const sockets = h.WS.sockets.length;
    for (let t = 0; t < 10_000; t += 1_000) {
      h.socket().receive({ type: 'pong', serverTime: T0 });
      h.clock.advance(1_000);
    }
    expect(h.WS.sockets).toHaveLength(sockets);
    expect(dropAndWait()).toBe(100);
  });

  it('CONN-3: jitter shortens each delay by at most the jitter fraction', () => {
    const h = harness({ random: () => 0.999, reconnect: { initialDelayMs: 1_000, jitter: 0.5 } });
    h.connect();
    h.socket().serverClose(1006);
    h.clock.advance(499);
    expect(h.WS.sockets).toHaveLength(1);
    h.clock.advance(2);
    expect(h.WS.sockets).toHaveLength(2);
  });

  it('CONN-3: stays connecting for the connecting period, then disconnected while retries go on at the cap', () => {
    const h = harness({ reconnect: { initialDelayMs: 100, maxDelayMs: 5_000, connectingPeriodMs: 20_000 } });
    h.connect();
    h.socket().serverClose(1006);
    const failNewSockets = (): void => {
      const socket = h.socket();
      if (socket.readyState === 0) socket.fail();
    };
    for (let t = 0; t < 19_900; t += 100) {
      h.clock.advance(100);
      failNewSockets();
    }
    expect(h.core.connectionState).toBe('connecting');
    h.clock.advance(100);
    failNewSockets();
    expect(h.states).toEqual(['connecting', 'connected', 'connecting', 'disconnected']);
    const before = h.WS.sockets.length;
    const times: number[] = [];
    for (let t = 0; t < 30_000; t += 100) {
      h.clock.advance(100);
      if (h.socket().readyState === 0) {
        times.push(h.clock.now());
        h.socket().fail();
      }
    }
    expect(h.WS.sockets.length - before).toBe(6); // every 5 s
    expect(times[1]! - times[0]!).toBe(5_000);
    expect(h.core.connectionState).toBe('disconnected'); // no flicker back to connecting during attempts
    h.clock.advance(5_000);
    h.connect();
    expect(h.states.slice(-1)).toEqual(['connected']);
  });

  it('CONN-3: the initial connection also has a connecting period', () => {
    const h = harness({ reconnect: { connectingPeriodMs: 1_000, initialDelayMs: 10_000 } });
    h.socket().fail();
    h.clock.advance(999);
    expect(h.core.connectionState).toBe('connecting');
    h.clock.advance(1);
    expect(h.core.connectionState).toBe('disconnected');
  });

  it('CONN-3: online and visible signals make an immediate attempt; hidden does not', () => {
    const h = harness({ reconnect: { initialDelayMs: 10_000 } });
    h.connect();
    h.socket().serverClose(1006);
    expect(h.WS.sockets).toHaveLength(1);
    h.platform.fire('hidden');
    h.platform.fire('offline');
    expect(h.WS.sockets).toHaveLength(1);
    h.platform.fire('online');
    expect(h.WS.sockets).toHaveLength(2);
    h.socket().fail();
    h.platform.fire('visible');
    expect(h.WS.sockets).toHaveLength(3);
  });

  it('CONN-4: an online signal while connected pings to check the socket', () => {
    const h = harness();
    const socket = h.connect();
    h.platform.fire('online');
    expect(socket.frames.slice(-1)).toEqual([{ type: 'ping' }]);
    expect(h.WS.sockets).toHaveLength(1);
  });

  it('CONN-3: a server going away (1001) reconnects and reports server_shutting_down', () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(1001, 'server_shutting_down');
    expect(h.errors.map((error) => error.code)).toEqual(['server_shutting_down']);
    h.clock.advance(100);
    expect(h.WS.sockets).toHaveLength(2);
    expect(h.core.connectionState).toBe('connecting');
  });

  it('CONN-3: a failure before open with a valid token asks /v1/auth and backs off when it is not a 401', async () => {
    const fetch = fakeFetch({ status: 503 });
    const h = harness({ fetch });
    h.socket().fail();
    await settle();
    expect(fetch.calls).toEqual([{ url: 'http://chat.test/v1/auth', authorization: `Bearer ${h.token}` }]);
    expect(h.core.connectionState).toBe('connecting');
    h.clock.advance(100);
    expect(h.WS.sockets).toHaveLength(2);
  });

  it('CONN-3: an auth probe that never answers counts as a network failure after the timeout', () => {
    const never = (() => new Promise<never>(() => undefined)) as never;
    const h = harness({ fetch: never, heartbeat: { timeoutMs: 2_000 } });
    h.socket().fail();
    h.clock.advance(1_999);
    h.clock.advance(100);
    expect(h.WS.sockets).toHaveLength(1);
    h.clock.advance(1);
    expect(h.WS.sockets).toHaveLength(2);
  });
});

describe('ClientCore: crash loop or lossy link (CONN-3)', () => {
  /** Plays a server that welcomes every socket, answers every ping, and lets the test cut the link. */
  const lossyLink = (overrides: Parameters<typeof harness>[0] = {}) => {
    const h = harness({ heartbeat: undefined, reconnect: undefined, ...overrides });
    const answered = new Map<unknown, number>();
    /** One virtual millisecond step of the fake server: open and welcome new sockets, answer pings. */
    const serve = (): void => {
      const socket = h.socket();
      if (socket.readyState === 0) h.connect();
      if (socket.readyState !== 1) return;
      const pings = socket.frames.filter((frame) => frame.type === 'ping').length;
      for (let i = answered.get(socket) ?? 0; i < pings; i += 1) socket.receive({ type: 'pong', serverTime: T0 });
      answered.set(socket, pings);
    };
    return { h, serve };
  };

  it('CONN-3: a link cut every 400 ms for 20 s after traffic keeps reconnecting within 400 ms; healed, it is connected at once', () => {
    const { h, serve } = lossyLink();
    serve();
    const gaps: number[] = [];
    let cutAt: number | null = null;
    for (let t = 1; t <= 20_000; t += 1) {
      h.clock.advance(1);
      const socket = h.socket();
      if (cutAt !== null && socket.readyState === 0) {
        gaps.push(h.clock.now() - cutAt);
        cutAt = null;
      }
      serve();
      if (t % 400 === 0 && socket.readyState === 1) {
        socket.serverClose(1006);
        cutAt = h.clock.now();
      }
    }
    // Every cut was followed by a reconnection, none waited more than the lossy link's 400 ms.
    expect(gaps.length).toBeGreaterThanOrEqual(45);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(400);
    expect(h.WS.sockets.length).toBeGreaterThanOrEqual(46);
    // Healed: the last cut is followed by a connection within half a second.
    const healedAt = h.clock.now();
    while (h.core.connectionState !== 'connected' && h.clock.now() - healedAt < 5_000) {
      h.clock.advance(1);
      serve();
    }
    expect(h.clock.now() - healedAt).toBeLessThanOrEqual(400);
  });

  it('CONN-3: the same cuts with a server that never answers after its welcome are a crash loop, retried ever more slowly', () => {
    const h = harness({ heartbeat: undefined, reconnect: undefined });
    h.connect();
    let sockets = 1;
    for (let t = 1; t <= 20_000; t += 1) {
      h.clock.advance(1);
      if (h.socket().readyState === 0) {
        h.connect();
        sockets += 1;
      }
      if (t % 400 === 0 && h.socket().readyState === 1) h.socket().serverClose(1006);
    }
    // 100, 200, 400… 12.8 s: eight attempts in 20 s instead of fifty.
    expect(sockets).toBe(8);
  });

  it('CONN-3: after a drop the client pings right after welcome, and its pong is what tells a lossy link from a crash loop', () => {
    const h = harness({ reconnect: { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5, connectingPeriodMs: 600_000 } });
    const first = h.connect();
    expect(first.frames.map((frame) => frame.type)).toEqual(['hello']); // no probe on the first connection
    first.serverClose(1006);
    h.clock.advance(100);
    const second = h.connect();
    expect(second.frames.map((frame) => frame.type)).toEqual(['hello', 'ping']);
    second.receive({ type: 'pong', serverTime: T0 });
    second.serverClose(1006);
    // Lossy: not one step further along the crash-loop backoff (200 ms), but a fresh fast retry.
    h.clock.advance(99);
    expect(h.WS.sockets).toHaveLength(2);
    h.clock.advance(1);
    expect(h.WS.sockets).toHaveLength(3);
    // A server that closes with a code, traffic or not, is damped: 2 flaps in a row → 200 ms.
    const third = h.connect();
    third.receive({ type: 'pong', serverTime: T0 });
    third.serverClose(4009, 'heartbeat_timeout');
    h.clock.advance(199);
    expect(h.WS.sockets).toHaveLength(3);
    h.clock.advance(1);
    expect(h.WS.sockets).toHaveLength(4);
  });

  it('CONN-3: a link that is down for 20 s after a cut is retried at least once a second, so healing is noticed within a second', () => {
    const { h, serve } = lossyLink();
    serve();
    h.socket().receive({ type: 'pong', serverTime: T0 }); // this connection carried traffic
    h.socket().serverClose(1006);
    const attempts: number[] = [];
    const downUntil = h.clock.now() + 20_000;
    while (h.clock.now() < downUntil) {
      h.clock.advance(1);
      if (h.socket().readyState === 0) {
        attempts.push(h.clock.now());
        h.socket().fail();
      }
    }
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(Math.max(...gaps)).toBe(1_000);
    expect(attempts.length).toBeGreaterThanOrEqual(20);
    const healedAt = h.clock.now();
    while (h.core.connectionState !== 'connected') {
      h.clock.advance(1);
      serve();
    }
    expect(h.clock.now() - healedAt).toBeLessThanOrEqual(1_000);
  });
});

describe('ClientCore: heartbeat (CONN-4)', () => {
  it('CONN-4: pings after the interval without sending, and stays connected while pongs come back', () => {
    const h = harness();
    const socket = h.connect({ heartbeatIntervalMs: 4_000 });
    h.clock.advance(3_999);
    expect(socket.frames.filter((frame) => frame.type === 'ping')).toHaveLength(0);
    h.clock.advance(1);
    expect(socket.frames.filter((frame) => frame.type === 'ping')).toHaveLength(1);
    for (let i = 0; i < 10; i += 1) {
      socket.receive({ type: 'pong', serverTime: T0 });
      h.clock.advance(4_000);
    }
    expect(socket.frames.filter((frame) => frame.type === 'ping')).toHaveLength(11);
    expect(h.core.connectionState).toBe('connected');
    expect(socket.live).toBe(true);
  });

  it('CONN-4: with default options a silent half-open socket is dropped within 10 s and replaced', () => {
    const h = harness({ heartbeat: undefined });
    const socket = h.connect({ heartbeatIntervalMs: 25_000 });
    h.clock.advance(4_500);
    expect(socket.frames.slice(-1)).toEqual([{ type: 'ping' }]); // the server's 25 s is clamped to half the timeout
    h.clock.advance(4_499);
    expect(h.core.connectionState).toBe('connected');
    h.clock.advance(1); // 9 s of silence
    expect(h.core.connectionState).toBe('connecting');
    expect(socket.live).toBe(false);
    expect(socket.closeCalls).toEqual([{ code: 1000, reason: 'client closing' }]);
    h.clock.advance(100);
    expect(h.WS.sockets).toHaveLength(2);
  });

  it('CONN-4: inbound events count as liveness', () => {
    const h = harness({ heartbeat: { timeoutMs: 2_000, intervalMs: 1_000 } });
    const socket = h.connect();
    for (let seq = 1; seq <= 10; seq += 1) {
      h.clock.advance(1_500);
      socket.receive(ev(seq));
    }
    expect(h.core.connectionState).toBe('connected');
  });

  it('CONN-4: a socket that never opens, or never says welcome, is abandoned after the timeout', () => {
    const h = harness();
    h.clock.advance(9_000);
    expect(h.socket().live).toBe(false);
    h.clock.advance(100);
    expect(h.WS.sockets).toHaveLength(2);
    h.socket().open();
    h.clock.advance(8_999);
    expect(h.socket().live).toBe(true);
    h.clock.advance(1);
    expect(h.socket().live).toBe(false);
    expect(h.socket().frames).toEqual([{ type: 'hello', v: 2 }]); // no ping before welcome
  });
});

describe('ClientCore: resume (CONN-5)', () => {
  it('CONN-5: resumes from the last applied seq, drops duplicates and applies the rest in order', () => {
    const h = harness();
    const first = h.connect({ headSeq: 5 });
    first.receive([ev(6), ev(7)]);
    expect(h.batches).toEqual([[ev(6), ev(7)]]);
    first.serverClose(1006);
    h.clock.advance(100);
    const second = h.socket();
    second.open();
    expect(second.frames[0]).toEqual({ type: 'hello', v: 2, lastSeq: 7 });
    second.receive([{ ...h.sessions[0]!, type: 'welcome', v: 1, identity: 'alice', resume: 'resumed', headSeq: 9, tokenExpiresAt: 0, heartbeatIntervalMs: 4_000, serverTime: T0 } as never, ev(6), ev(7), ev(8)]);
    second.receive(ev(8));
    second.receive(ev(9));
    expect(h.batches).toEqual([[ev(6), ev(7)], [ev(8)], [ev(9)]]);
    expect(h.sessions.map((session) => session.resume)).toEqual(['fresh', 'resumed']);
    expect(h.core.lastAppliedSeq).toBe(9);
  });

  it('CONN-5: one websocket message is one batch, events and signals in order', () => {
    const h = harness();
    const socket = h.connect();
    const sig = { type: 'sig', kind: 'typing', data: { conversationSid: 'CH1', identity: 'bob' } } as const;
    socket.receive([ev(1), sig, ev(2), { type: 'pong', serverTime: 0 }]);
    expect(h.batches).toEqual([[ev(1), sig, ev(2)]]);
  });

  it('CONN-5: a gap emits what came before it, then reconnects to resume from there', () => {
    const h = harness();
    const socket = h.connect({ headSeq: 1 });
    socket.receive([ev(2), ev(3), ev(5), ev(6)]);
    expect(h.batches).toEqual([[ev(2), ev(3)]]);
    expect(h.core.connectionState).toBe('connecting');
    expect(socket.live).toBe(false);
    h.clock.advance(100);
    h.socket().open();
    expect(h.socket().frames[0]).toEqual({ type: 'hello', v: 2, lastSeq: 3 });
  });

  it('CONN-5: a resync resets the sequence to the head and signals a discontinuity', () => {
    const h = harness();
    const discontinuities: string[] = [];
    h.core.discontinuity$.subscribe((session) => discontinuities.push(session.resume));
    h.connect({ headSeq: 3 });
    h.socket().serverClose(1006);
    h.clock.advance(100);
    h.connect({ resume: 'resync', headSeq: 500 });
    h.socket().receive(ev(501));
    expect(discontinuities).toEqual(['resync']);
    expect(h.batches).toEqual([[ev(501)]]);
  });

  it('CONN-5: a sequence number counts as applied only after the batch was handed over', () => {
    const h = harness();
    const seen: (number | null)[] = [];
    h.core.inbound$.subscribe(() => seen.push(h.core.lastAppliedSeq));
    const socket = h.connect({ headSeq: 0 });
    socket.receive([ev(1), ev(2)]);
    expect(seen).toEqual([0]);
    expect(h.core.lastAppliedSeq).toBe(2);
  });

  it('CONN-5: events before the welcome are ignored', () => {
    const h = harness();
    h.socket().open();
    h.socket().receive(ev(1));
    expect(h.batches).toEqual([]);
  });

  it('CONN-1: every token the client offers is its current one', () => {
    const h = harness();
    expect(h.socket().token).toBe(h.token);
    const other = makeToken();
    void h.core.updateToken(other).catch(() => undefined);
    expect(h.socket().token).toBe(other);
  });
});
