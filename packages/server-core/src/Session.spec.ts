import { describe, expect, it } from '@jest/globals';
import { CLOSE_CODES, PROTOCOL_VERSION } from '@rx-conversations/protocol';
import { Core } from './Core.js';
import { MemoryStore } from './MemoryStore.js';
import { serverError } from './ServerError.js';
import { Session, type SessionSettings } from './Session.js';

/** Timers on a clock that moves only when the test says so. */
function virtualTime(start: number) {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; work: () => void }>();
  return {
    now: () => now,
    timers: {
      set: (work: () => void, delayMs: number) => {
        nextId += 1;
        timers.set(nextId, { at: now + delayMs, work });
        return nextId;
      },
      clear: (handle: unknown) => void timers.delete(handle as number),
    },
    /** Moves the clock forward, running each timer that falls due, in order. */
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].work();
      }
      now = until;
    },
  };
}

// Test tokens: `identity:expiresAt`.
const verifyToken: SessionSettings['verifyToken'] = async (token) => {
  const [identity, expiresAt] = token.split(':');
  if (identity === undefined || expiresAt === undefined) throw serverError('token_malformed', 'not a test token');
  return { identity, expiresAt: Number(expiresAt) };
};

function open(expiresInMs: number, tokenNoticeLeadMs: number) {
  const time = virtualTime(1_800_000_000_000);
  let n = 0;
  const core = new Core({ store: new MemoryStore(), clock: time.now, newSid: (prefix) => `${prefix}${++n}` });
  const frames: Array<{ type: string; [key: string]: unknown }> = [];
  const closes: Array<{ code: number; reason: string }> = [];
  const settings: SessionSettings = {
    core,
    verifyToken,
    timers: time.timers,
    heartbeatIntervalMs: 4000,
    handshakeTimeoutMs: 10_000,
    tokenNoticeLeadMs,
    tokenTimers: true,
    rateLimit: null,
  };
  const session = new Session(
    {
      send: (frame) => frames.push(JSON.parse(frame) as { type: string }),
      sendBacklog: (backlog) => backlog.forEach((frame) => frames.push(JSON.parse(frame) as { type: string })),
      close: (code, reason) => closes.push({ code, reason }),
    },
    'alice',
    time.now() + expiresInMs,
    settings,
  );
  session.receive(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION }));
  return { time, session, frames, closes, expiresAt: time.now() + expiresInMs };
}

const notices = (frames: Array<{ type: string }>) => frames.filter((f) => f.type === 'notice');

describe('Session: tokens on the open connection, in virtual time (SRV-2, CONN-7)', () => {
  it('SRV-2: the notice comes tokenNoticeLeadMs before exp, not earlier; at exp the connection closes with 4001', () => {
    const { time, frames, closes, expiresAt } = open(1500, 1000);
    expect(frames[0]).toMatchObject({ type: 'welcome', tokenExpiresAt: expiresAt });
    time.advance(499);
    expect(notices(frames)).toEqual([]);
    time.advance(1);
    expect(notices(frames)).toEqual([{ type: 'notice', kind: 'tokenAboutToExpire', expiresAt }]);
    time.advance(999);
    expect(closes).toEqual([]);
    time.advance(1);
    expect(closes).toEqual([{ code: CLOSE_CODES.tokenExpired, reason: 'token_expired' }]);
  });

  it('SRV-2: inside the lead time the notice comes with the welcome', () => {
    const { frames, expiresAt } = open(500, 1000);
    expect(frames.map((f) => f.type)).toEqual(['welcome', 'notice']);
    expect(frames[1]).toEqual({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt });
  });

  it('CONN-7: token.update extends the session in place: the old expiry passes without a close', async () => {
    const { time, session, frames, closes } = open(1000, 500);
    const renewed = time.now() + 3_600_000;
    session.receive(JSON.stringify({ type: 'req', id: 1, op: 'token.update', args: { token: `alice:${renewed}` } }));
    await new Promise((resolve) => setImmediate(resolve)); // the token is verified asynchronously: let it settle
    expect(frames.find((f) => f.type === 'res')).toEqual({ type: 'res', id: 1, ok: true, result: { expiresAt: renewed } });
    time.advance(1300);
    expect(closes).toEqual([]);
    expect(notices(frames)).toEqual([]);
    time.advance(3_600_000 - 1300 - 500);
    expect(notices(frames)).toEqual([{ type: 'notice', kind: 'tokenAboutToExpire', expiresAt: renewed }]);
  });

  it('SRV-2: a connection that sends no hello within the handshake timeout is closed', () => {
    const time = virtualTime(0);
    const closes: number[] = [];
    let n = 0;
    const core = new Core({ store: new MemoryStore(), clock: time.now, newSid: (prefix) => `${prefix}${++n}` });
    new Session({ send: () => {}, sendBacklog: () => {}, close: (code) => closes.push(code) }, 'bob', 3_600_000, {
      core,
      verifyToken,
      timers: time.timers,
      heartbeatIntervalMs: 4000,
      handshakeTimeoutMs: 10_000,
      tokenNoticeLeadMs: 1000,
      tokenTimers: true,
      rateLimit: null,
    });
    time.advance(9_999);
    expect(closes).toEqual([]);
    time.advance(1);
    expect(closes).toEqual([CLOSE_CODES.protocolViolation]);
  });
});
