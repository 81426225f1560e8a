import { ConversationsError } from '../../ConversationsError.js';
import { harness } from '../../../test/core/coreHarness.js';
import { settle } from '../../../test/core/fakes.js';

const outcome = (promise: Promise<unknown>) => {
  const result: { value?: unknown; error?: ConversationsError; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(result, { value, done: true }),
    (error: ConversationsError) => Object.assign(result, { error, done: true }),
  );
  return result;
};

const send = (h: ReturnType<typeof harness>, sid: string, key: string) =>
  outcome(h.core.request('messages.send', { sid, body: key, idempotencyKey: key }, { idempotent: true }));

describe('ClientCore: the server\'s rate limit (ROBUST-1)', () => {
  it('ROBUST-1: calls go out at the pace the welcome announces: 90% of the burst at once, then 90% of the rate', () => {
    const h = harness();
    h.connect({ rateLimit: { ratePerSecond: 10, burst: 5 } });
    for (let i = 0; i < 20; i += 1) void h.core.request('users.get', { identity: `u${i}` }).catch(() => undefined);
    // Burst 5 → 4 at once; rate 10/s → 9/s, one call every 112 ms.
    expect(h.requests()).toHaveLength(4);
    h.clock.advance(111);
    expect(h.requests()).toHaveLength(4);
    h.clock.advance(1);
    expect(h.requests()).toHaveLength(5);
    h.clock.advance(888);
    expect(h.requests()).toHaveLength(4 + 8);
    // Nine after a second (each wait is rounded up to the next millisecond).
    h.clock.advance(5);
    expect(h.requests()).toHaveLength(4 + 9);
    expect(h.requests().map((frame) => frame.args['identity'])).toEqual(Array.from({ length: 13 }, (_, i) => `u${i}`));
  });

  it('ROBUST-1: a server that announces no limit gets every call at once', () => {
    const h = harness();
    h.connect();
    for (let i = 0; i < 300; i += 1) void h.core.request('users.get', { identity: `u${i}` }).catch(() => undefined);
    expect(h.requests()).toHaveLength(300);
  });

  it('ROBUST-1: a call answered rate_limited goes out again after retryAfterMs, unchanged, and resolves', async () => {
    const h = harness();
    h.connect({ rateLimit: { ratePerSecond: 100, burst: 100 } });
    const call = send(h, 'CH1', 'key-0001');
    const [first] = h.requests();
    h.socket().receive({ type: 'res', id: first!.id, ok: false, error: { code: 'rate_limited', message: 'slow down', details: { retryAfterMs: 250 } } });
    h.clock.advance(249);
    await settle();
    expect(h.requests()).toHaveLength(1);
    expect(call.done).toBe(false);
    h.clock.advance(1);
    const [, again] = h.requests();
    expect(again).toMatchObject({ op: 'messages.send', args: first!.args });
    expect(again!.id).toBeGreaterThan(first!.id);
    h.socket().receive({ type: 'res', id: again!.id, ok: true, result: { index: 0 } as never });
    await settle();
    expect(call.value).toEqual({ index: 0 });
  });

  it('ROBUST-1: a refusal holds every call until retryAfterMs, not only the refused one', () => {
    const h = harness();
    h.connect({ rateLimit: { ratePerSecond: 100, burst: 100 } });
    void h.core.request('users.get', { identity: 'a' }).catch(() => undefined);
    h.socket().receive({ type: 'res', id: 1, ok: false, error: { code: 'rate_limited', message: 'slow down', details: { retryAfterMs: 500 } } });
    void h.core.request('users.get', { identity: 'b' }).catch(() => undefined);
    expect(h.requests()).toHaveLength(1);
    h.clock.advance(500);
    expect(h.requests().map((frame) => frame.args['identity'])).toEqual(['a', 'a']);
    // Then the pace resumes: 90 per second, one call every 12 ms.
    h.clock.advance(12);
    expect(h.requests().map((frame) => frame.args['identity'])).toEqual(['a', 'a', 'b']);
  });

  it('ROBUST-1: the calls of one conversation go out one at a time, so a refused one is never overtaken', async () => {
    const h = harness();
    h.connect({ rateLimit: { ratePerSecond: 100, burst: 100 } });
    const a1 = send(h, 'CH1', 'a1');
    const a2 = send(h, 'CH1', 'a2');
    const b1 = send(h, 'CH2', 'b1');
    const keys = () => h.requests().map((frame) => frame.args['idempotencyKey']);
    expect(keys()).toEqual(['a1', 'b1']);
    h.socket().receive({ type: 'res', id: 1, ok: false, error: { code: 'rate_limited', message: 'slow down', details: { retryAfterMs: 100 } } });
    h.clock.advance(100);
    expect(keys()).toEqual(['a1', 'b1', 'a1']);
    h.socket().receive({ type: 'res', id: 3, ok: true, result: { index: 0 } as never });
    h.clock.advance(12);
    expect(keys()).toEqual(['a1', 'b1', 'a1', 'a2']);
    h.socket().receive([{ type: 'res', id: 2, ok: true, result: { index: 0 } as never }, { type: 'res', id: 4, ok: true, result: { index: 1 } as never }]);
    await settle();
    expect([a1.value, a2.value, b1.value]).toEqual([{ index: 0 }, { index: 1 }, { index: 0 }]);
  });

  it('ROBUST-1: a call the limit holds back past rateLimitDeadlineMs rejects with rate_limit_deadline', async () => {
    const h = harness({ rateLimitDeadlineMs: 2_000 });
    const socket = h.connect({ rateLimit: { ratePerSecond: 1, burst: 1 } });
    const calls = Array.from({ length: 4 }, (_, i) => outcome(h.core.request('users.get', { identity: `u${i}` })));
    expect(h.requests()).toHaveLength(1);
    h.clock.advance(1_999);
    await settle();
    expect(h.requests()).toHaveLength(2); // 0.9 per second: the second after 1,112 ms
    expect(calls.map((c) => c.done)).toEqual([false, false, false, false]);
    h.clock.advance(1);
    await settle();
    expect(calls.map((c) => c.error?.code)).toEqual([undefined, undefined, 'rate_limit_deadline', 'rate_limit_deadline']);
    expect(calls[2]!.error).toMatchObject({ retryable: true });
    h.clock.advance(10_000);
    expect(h.requests(socket)).toHaveLength(2);
  });

  it('ROBUST-1: a refusal whose retryAfterMs ends past the deadline rejects at once', async () => {
    const h = harness({ rateLimitDeadlineMs: 1_000 });
    h.connect({ rateLimit: { ratePerSecond: 10, burst: 10 } });
    const call = send(h, 'CH1', 'key-0001');
    h.socket().receive({ type: 'res', id: 1, ok: false, error: { code: 'rate_limited', message: 'slow down', details: { retryAfterMs: 5_000 } } });
    await settle();
    expect(call.error).toMatchObject({ code: 'rate_limit_deadline', details: { retryAfterMs: 5_000 } });
  });

  it('ROBUST-1: calls waiting for a connection are not held to the deadline; it counts from the welcome', async () => {
    const h = harness({ rateLimitDeadlineMs: 1_000 });
    const call = outcome(h.core.request('users.get', { identity: 'a' }));
    h.clock.advance(5_000);
    h.connect({ rateLimit: { ratePerSecond: 10, burst: 10 } });
    await settle();
    expect(call.done).toBe(false);
    expect(h.requests()).toHaveLength(1);
  });

  it('ROBUST-1: rateLimitDeadlineMs must be a positive duration or Infinity', () => {
    expect(() => harness({ rateLimitDeadlineMs: 0 })).toThrow(TypeError);
    expect(() => harness({ rateLimitDeadlineMs: -1 })).toThrow(TypeError);
    expect(() => harness({ rateLimitDeadlineMs: Infinity })).not.toThrow();
  });
});
