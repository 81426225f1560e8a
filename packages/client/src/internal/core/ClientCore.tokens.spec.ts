import { jest } from '@jest/globals';
import { harness } from '../../../test/core/coreHarness.js';
import { fakeFetch, makeToken, settle, T0 } from '../../../test/core/fakes.js';

const HOUR = 3_600_000;
// Virtual hours pass without a fake server answering pings: keep the socket from being declared dead.
const quietServer = { heartbeat: { timeoutMs: 100 * HOUR } };

describe('ClientCore: token lifecycle (CONN-7)', () => {
  it('CONN-7: tokenAboutToExpire$ fires the lead time before exp, tokenExpired$ at exp, once each', () => {
    const h = harness({ token: makeToken({ ttlMs: HOUR }) });
    h.connect();
    h.clock.advance(HOUR - 180_000 - 1);
    expect(h.aboutToExpire).toEqual([]);
    h.clock.advance(1);
    expect(h.aboutToExpire).toEqual([{ expiresAt: T0 + HOUR }]);
    h.clock.advance(179_999);
    expect(h.expired).toBe(0);
    h.clock.advance(1);
    expect(h.expired).toBe(1);
    h.clock.advance(HOUR);
    expect(h.aboutToExpire).toHaveLength(1);
    expect(h.expired).toBe(1);
  });

  it('CONN-7: the lead time is configurable', () => {
    const h = harness({ token: makeToken({ ttlMs: HOUR }), tokenRefreshLeadMs: 60_000 });
    h.clock.advance(HOUR - 60_001);
    expect(h.aboutToExpire).toHaveLength(0);
    h.clock.advance(1);
    expect(h.aboutToExpire).toHaveLength(1);
  });

  it('CONN-7: a short-lived token is announced at half its life rather than at once', () => {
    const h = harness({ token: makeToken({ ttlMs: 180_000 }) });
    h.clock.advance(89_999);
    expect(h.aboutToExpire).toHaveLength(0);
    h.clock.advance(1);
    expect(h.aboutToExpire).toHaveLength(1);
  });

  it('CONN-7: the server notice also announces it, de-duplicated with the local timer', () => {
    const h = harness({ token: makeToken({ ttlMs: HOUR }), ...quietServer });
    const socket = h.connect();
    h.clock.advance(HOUR - 200_000);
    socket.receive({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt: T0 + HOUR });
    socket.receive({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt: T0 + HOUR });
    expect(h.aboutToExpire).toEqual([{ expiresAt: T0 + HOUR }]);
    h.clock.advance(100_000);
    expect(h.aboutToExpire).toHaveLength(1);
  });

  it('CONN-7: updateToken swaps the token on the open socket, with no new socket, and re-arms the timers', async () => {
    const h = harness({ token: makeToken({ ttlMs: HOUR }), ...quietServer });
    const socket = h.connect();
    const fresh = makeToken({ ttlMs: 2 * HOUR });
    let resolved = false;
    const done = h.core.updateToken(fresh).then(() => {
      resolved = true;
    });
    const [update] = h.requests();
    expect(update).toMatchObject({ op: 'token.update', args: { token: fresh } });
    await settle();
    expect(resolved).toBe(false);
    socket.receive({ type: 'res', id: update!.id, ok: true, result: { expiresAt: T0 + 2 * HOUR } });
    await done;
    expect(h.WS.sockets).toHaveLength(1);
    expect(h.states).toEqual(['connecting', 'connected']);
    h.clock.advance(HOUR);
    expect(h.aboutToExpire).toHaveLength(0);
    expect(h.expired).toBe(0);
    h.clock.advance(HOUR - 180_000);
    expect(h.aboutToExpire).toEqual([{ expiresAt: T0 + 2 * HOUR }]);
    // a reconnect now offers the new token
    socket.serverClose(1006);
    h.clock.advance(100);
    expect(h.socket().token).toBe(fresh);
  });

  it('CONN-7: updateToken rejects with the server\'s code when it refuses the token', async () => {
    const h = harness();
    const socket = h.connect();
    const done = h.core.updateToken(makeToken());
    socket.receive({ type: 'res', id: 1, ok: false, error: { code: 'token_signature_invalid', message: 'bad signature' } });
    await expect(done).rejects.toMatchObject({ code: 'token_signature_invalid' });
  });

  it('CONN-7: a token for another identity or not a JWT is refused locally, with nothing sent', async () => {
    const h = harness();
    h.connect();
    await expect(h.core.updateToken(makeToken({ identity: 'mallory' }))).rejects.toMatchObject({ code: 'token_identity_mismatch' });
    await expect(h.core.updateToken('garbage')).rejects.toMatchObject({ code: 'token_malformed' });
    await expect(h.core.updateToken(42 as never)).rejects.toMatchObject({ code: 'token_not_a_string' });
    expect(h.requests()).toEqual([]);
  });

  it('CONN-2: a close with 4001 makes the client denied; tokenExpired$ and connectionError$ say why; no retry', () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(4001, 'token_expired');
    expect(h.states).toEqual(['connecting', 'connected', 'denied']);
    expect(h.errors.map((error) => error.code)).toEqual(['token_expired']);
    expect(h.expired).toBe(1);
    h.clock.advance(10 * 60_000);
    expect(h.WS.sockets).toHaveLength(1);
  });

  it('CONN-2: a close with 4003 without a reason maps to its default code', () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(4003);
    expect(h.core.connectionState).toBe('denied');
    expect(h.errors.map((error) => error.code)).toEqual(['token_signature_invalid']);
  });

  it('CONN-2: a socket failing with a locally expired token makes the client denied without asking the server', async () => {
    const fetch = fakeFetch({ status: 503 });
    const h = harness({ token: makeToken({ issuedAt: T0 - 2 * HOUR, ttlMs: HOUR }), fetch });
    h.socket().fail();
    expect(h.core.connectionState).toBe('denied');
    await settle();
    expect(fetch.calls).toEqual([]);
    expect(h.errors.map((error) => error.code)).toEqual(['token_expired']);
  });

  it('CONN-2: a 401 from /v1/auth after a failed upgrade makes the client denied with the server\'s code', async () => {
    const fetch = fakeFetch({ status: 401, body: { code: 'token_key_unknown', message: 'unknown key' } });
    const h = harness({ fetch });
    h.socket().fail();
    expect(h.core.connectionState).toBe('connecting');
    await settle();
    expect(h.core.connectionState).toBe('denied');
    expect(h.errors.map((error) => [error.code, error.message])).toEqual([['token_key_unknown', 'unknown key']]);
  });

  it('CONN-7: updateToken while denied reconnects at once and resolves on welcome', async () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(4001, 'token_expired');
    const fresh = makeToken();
    let resolved = false;
    const done = h.core.updateToken(fresh).then(() => {
      resolved = true;
    });
    expect(h.WS.sockets).toHaveLength(2);
    expect(h.socket().token).toBe(fresh);
    expect(h.core.connectionState).toBe('connecting');
    await settle();
    expect(resolved).toBe(false);
    h.connect({ resume: 'resumed' });
    await done;
    expect(h.states).toEqual(['connecting', 'connected', 'denied', 'connecting', 'connected']);
  });

  it('CONN-7: updateToken while denied rejects when the new token is refused too', async () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(4001, 'token_expired');
    const done = h.core.updateToken(makeToken());
    h.socket().open();
    h.socket().serverClose(4003, 'token_signature_invalid');
    await expect(done).rejects.toMatchObject({ code: 'token_signature_invalid' });
  });
});

describe('ClientCore: tokenProvider (CONN-7)', () => {
  it('CONN-7: is called at the lead time, single-flight, and its token is applied on the open socket', async () => {
    const fresh = makeToken({ ttlMs: 2 * HOUR });
    let release: (token: string) => void = () => undefined;
    const provider = jest.fn(() => new Promise<string>((resolve) => { release = resolve; }));
    const h = harness({ token: makeToken({ ttlMs: HOUR }), tokenProvider: provider, ...quietServer });
    const socket = h.connect();
    h.clock.advance(HOUR - 180_000);
    socket.receive({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt: T0 + HOUR });
    await settle();
    expect(provider).toHaveBeenCalledTimes(1);
    h.clock.advance(180_000); // expiry also triggers: still the same call in flight
    await settle();
    expect(provider).toHaveBeenCalledTimes(1);
    release(fresh);
    await settle();
    const [update] = h.requests();
    expect(update).toMatchObject({ op: 'token.update', args: { token: fresh } });
    socket.receive({ type: 'res', id: update!.id, ok: true, result: { expiresAt: T0 + 2 * HOUR } });
    await settle();
    expect(h.WS.sockets).toHaveLength(1);
    expect(h.states).toEqual(['connecting', 'connected']);
  });

  it('CONN-7: a failing provider is reported as token_provider_failed and retried with backoff', async () => {
    let calls = 0;
    const fresh = makeToken({ ttlMs: 2 * HOUR });
    const provider = async (): Promise<string> => {
      calls += 1;
      if (calls < 3) throw new Error('offline');
      return fresh;
    };
    const h = harness({ token: makeToken({ ttlMs: HOUR }), tokenProvider: provider, ...quietServer });
    const socket = h.connect();
    h.clock.advance(HOUR - 180_000);
    await settle();
    expect(calls).toBe(1);
    expect(h.errors.map((error) => error.code)).toEqual(['token_provider_failed']);
    expect(h.errors[0]!.cause).toBeInstanceOf(Error);
    h.clock.advance(99);
    await settle();
    expect(calls).toBe(1);
    h.clock.advance(1); // first retry after 100 ms
    await settle();
    expect(calls).toBe(2);
    h.clock.advance(199);
    await settle();
    expect(calls).toBe(2);
    h.clock.advance(1); // then 200 ms
    await settle();
    expect(calls).toBe(3);
    expect(h.requests()).toEqual([expect.objectContaining({ op: 'token.update', args: { token: fresh } })]);
    socket.receive({ type: 'res', id: 1, ok: true, result: { expiresAt: 0 } });
    await settle();
    expect(h.errors).toHaveLength(2);
  });

  it('CONN-7: a provider returning a non-string counts as a failure', async () => {
    const h = harness({ token: makeToken({ ttlMs: HOUR }), tokenProvider: async () => 42 as never });
    h.connect();
    h.clock.advance(HOUR - 180_000);
    await settle();
    expect(h.errors.map((error) => error.code)).toEqual(['token_provider_failed']);
  });

  it('CONN-7: when denied, the provider is called and its token reconnects', async () => {
    const fresh = makeToken();
    const provider = jest.fn(async () => fresh);
    const h = harness({ tokenProvider: provider, ...quietServer });
    h.connect();
    h.socket().serverClose(4001, 'token_expired');
    await settle();
    expect(provider).toHaveBeenCalledTimes(1);
    expect(h.WS.sockets).toHaveLength(2);
    expect(h.socket().token).toBe(fresh);
    h.connect({ resume: 'resumed' });
    expect(h.core.connectionState).toBe('connected');
  });
});
