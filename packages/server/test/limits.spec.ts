import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { filter, ReplaySubject } from 'rxjs';
import { within } from './helpers/within.js';
import { startServer, type RunningServer } from '../src/index.js';
import { connectUser, key } from './helpers/connectUser.js';
import { KEYS, tokenFor } from './helpers/testKeys.js';
import { useServers } from './helpers/useServers.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, isRetryable } from '@rx-conversations/protocol';
import { tryUpgrade } from './helpers/TestClient.js';

const { cleanups, start, connect } = useServers();

/** A pino logger whose records land in an array, with a way to wait for one. */
function capturingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const recorded = new ReplaySubject<Record<string, unknown>>();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const record = JSON.parse(chunk.toString()) as Record<string, unknown>;
      records.push(record);
      recorded.next(record);
      callback();
    },
  });
  const waitFor = (predicate: (r: Record<string, unknown>) => boolean, timeoutMs = 5000) =>
    within(recorded.pipe(filter(predicate)), timeoutMs, 'a matching log record');
  return { logger: pino({ level: 'info' }, stream), records, waitFor };
}

describe('idempotency (SRV-5, STORE-7)', () => {
  it('SRV-5: sending twice with one key creates one message, one event, and the same result', async () => {
    const server = await start();
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    const { sid } = await alice.request('conversations.create', {});
    await alice.request('participants.add', { sid, identity: 'bob' });
    const idempotencyKey = key();
    const first = await alice.request('messages.send', { sid, body: 'once', idempotencyKey });
    const again = await alice.request('messages.send', { sid, body: 'once', idempotencyKey });
    expect(again).toEqual(first);
    expect(first.idempotencyKey).toBe(idempotencyKey);
    const conflict = await alice.requestError('messages.send', { sid, body: 'different', idempotencyKey });
    expect(conflict.code).toBe('idempotency_key_conflict');
    const otherOp = await alice.requestError('conversations.update', { sid, friendlyName: 'x', idempotencyKey });
    expect(otherOp.code).toBe('idempotency_key_conflict');
    expect((await bob.request('messages.list', { sid })).items).toHaveLength(1);
    await bob.request('users.get', { identity: 'bob' });
    expect(bob.events().filter((e) => e.kind === 'messageAdded')).toHaveLength(1);
    expect(alice.events().filter((e) => e.kind === 'messageAdded')).toHaveLength(1);
    // The key is per user: bob may use the same one.
    expect((await bob.request('messages.send', { sid, body: 'mine', idempotencyKey })).index).toBe(1);
  });

  it('SRV-5: an idempotent create retried returns the first conversation', async () => {
    const server = await start();
    const alice = await connect(server, 'alice');
    const idempotencyKey = key();
    const first = await alice.request('conversations.create', { friendlyName: 'x', idempotencyKey });
    expect(await alice.request('conversations.create', { friendlyName: 'x', idempotencyKey })).toEqual(first);
    expect((await alice.request('conversations.list', {})).items).toHaveLength(1);
  });
});

describe('rate limits (SRV-5)', () => {
  it('SRV-5: beyond the burst a request gets rate_limited with retryAfterMs and has no effect; then it recovers', async () => {
    let now = Date.now();
    const server = await start({ rateLimit: { ratePerSecond: 10, burst: 3 }, clock: () => now });
    const alice = await connect(server, 'alice');
    const replies = await Promise.all([1, 2, 3, 4, 5].map((i) => alice.requestFrame('conversations.create', { friendlyName: `c${i}` })));
    expect(replies.map((r) => r.ok)).toEqual([true, true, true, false, false]);
    const limited = replies[3]!;
    if (limited.ok) throw new Error('unreachable');
    expect(limited.error.code).toBe('rate_limited');
    expect(limited.error.details?.retryAfterMs).toBeGreaterThan(0);
    now += 1000;
    const page = await alice.request('conversations.list', {});
    expect(page.items.map((c) => c.friendlyName)).toEqual(['c1', 'c2', 'c3']);
  });
});

describe('slow consumers (SRV-5)', () => {
  it('SRV-5: a client that stops reading is closed with 4008 slow_consumer and terminated, and can resume', async () => {
    const capture = capturingLogger();
    const server = await start({ maxBufferedBytes: 64 * 1024, logger: capture.logger, rateLimit: { ratePerSecond: 10_000, burst: 10_000 } });
    const alice = await connect(server, 'alice');
    const slow = await connect(server, 'slow');
    const { sid } = await alice.request('conversations.create', {});
    await alice.request('participants.add', { sid, identity: 'slow' });
    await slow.waitForEvent('conversationAdded');
    const seen = slow.lastSeq();
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();

    const body = 'x'.repeat(30_000);
    let closedRecord: Record<string, unknown> | undefined;
    void capture.waitFor((r) => r['reason'] === 'slow_consumer').then((r) => (closedRecord = r), () => undefined);
    // In batches: the kernel's socket buffers take megabytes before the server's own bound is reached,
    // and one send at a time would spend that on round trips (slow on a networked store).
    for (let i = 0; i < 125 && closedRecord === undefined; i++) {
      await Promise.all(Array.from({ length: 8 }, () => alice.request('messages.send', { sid, body, idempotencyKey: key() })));
    }
    const record = await capture.waitFor((r) => r['reason'] === 'slow_consumer');
    expect(record).toMatchObject({ code: 4008, reason: 'slow_consumer', identity: 'slow' });
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code } = await slow.closed;
    expect([4008, 1006]).toContain(code);
    // Nothing is lost: resuming replays from the log.
    const back = await connectUser(server, 'slow', { lastSeq: seen });
    cleanups.push(() => back.close());
    expect(back.welcome.resume).toBe('resumed');
    expect(back.welcome.headSeq).toBeGreaterThan(seen);
    await back.waitForEvent('messageAdded', (e) => e.seq === back.welcome.headSeq);
    // The producer was never affected.
    expect(await alice.request('users.get', { identity: 'alice' })).toMatchObject({ identity: 'alice' });
  }, 60_000);
});

describe('liveness (CONN-4)', () => {
  it('CONN-4: a peer silent for 3 heartbeat intervals is closed with 4009; a pinging one is kept', async () => {
    const server = await start({ heartbeatIntervalMs: 200 });
    const silent = await connect(server, 'silent');
    const pinging = await connect(server, 'pinging');
    expect(silent.welcome.heartbeatIntervalMs).toBe(200);
    const timer = setInterval(() => pinging.send({ type: 'ping' }), 25);
    try {
      expect(await silent.closed).toEqual({ code: 4009, reason: 'heartbeat_timeout' });
      expect(pinging.socket.readyState).toBe(pinging.socket.OPEN);
      await pinging.waitFor((f) => f.type === 'pong');
    } finally {
      clearInterval(timer);
    }
  });

  it('SRV-6: no hello within the handshake timeout → close 4000 handshake_timeout', async () => {
    const server = await start({ handshakeTimeoutMs: 100 });
    const client = await connect(server, 'mute', { hello: false });
    expect(await client.closed).toEqual({ code: 4000, reason: 'handshake_timeout' });
  });
});

describe('connection limits (SRV-5)', () => {
  const upgrade = async (server: RunningServer, identity: string) =>
    tryUpgrade(server.url, [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}${await tokenFor(identity)}`]);

  it('SRV-5: one identity past maxConnectionsPerIdentity is refused with 503 too_many_connections (retryable); others still connect; a freed slot is reusable', async () => {
    const server = await start({ maxConnectionsPerIdentity: 2 });
    const first = await connect(server, 'alice');
    await connect(server, 'alice');
    const refused = await upgrade(server, 'alice');
    expect(refused).toEqual({ opened: false, status: 503, error: 'too_many_connections', body: JSON.stringify({ code: 'too_many_connections' }) });
    expect(isRetryable('too_many_connections')).toBe(true);
    // Another identity is not affected, and alice's two sockets still work.
    const bob = await connect(server, 'bob');
    expect(await bob.request('users.get', { identity: 'alice' })).toMatchObject({ identity: 'alice', isOnline: true });
    expect(await first.request('users.get', { identity: 'bob' })).toMatchObject({ identity: 'bob' });
    await first.close();
    expect(await upgrade(server, 'alice')).toEqual({ opened: true });
  });

  it('SRV-5: past maxConnections every new upgrade is refused before its token is even checked', async () => {
    const server = await start({ maxConnections: 2 });
    await connect(server, 'alice');
    await connect(server, 'bob');
    expect(await upgrade(server, 'carol')).toMatchObject({ opened: false, status: 503, error: 'too_many_connections' });
    expect(await tryUpgrade(server.url, [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}not.a-jwt`])).toMatchObject({ status: 503, error: 'too_many_connections' });
  });

  it('SRV-5: concurrent upgrades of one identity never overshoot its limit', async () => {
    const server = await start({ maxConnectionsPerIdentity: 3 });
    const token = await tokenFor('dave');
    // Sockets held open (closing each at once would free its slot).
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () =>
        tryUpgrade(server.url, [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}${token}`], { hold: (release) => cleanups.push(release) }).then(
          (outcome) => (outcome.opened ? 'opened' : `${outcome.status} ${String(outcome.error)}`),
          () => 'error',
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'opened')).toHaveLength(3);
    expect(outcomes.filter((o) => o !== 'opened')).toEqual(Array(9).fill('503 too_many_connections'));
  });

  it('SRV-5: connection limits must be positive numbers', async () => {
    await expect(startServer({ port: 0, database: ':memory:', keys: KEYS, maxConnectionsPerIdentity: 0 })).rejects.toThrow(TypeError);
    await expect(startServer({ port: 0, database: ':memory:', keys: KEYS, maxConnections: -1 })).rejects.toThrow(TypeError);
  });
});
