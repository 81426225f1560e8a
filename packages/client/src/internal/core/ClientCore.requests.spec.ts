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

describe('ClientCore: requests', () => {
  it('CONN-3: calls made while connecting wait and go out in order, with increasing ids, on welcome', async () => {
    const h = harness();
    const a = outcome(h.core.request('users.get', { identity: 'a' }));
    const b = outcome(h.core.request('users.get', { identity: 'b' }));
    h.socket().open();
    expect(h.requests()).toEqual([]);
    h.socket().receive({ type: 'welcome', v: 1, identity: 'alice', connectionId: 'c', user: { identity: 'alice', friendlyName: null, attributes: {}, isOnline: true, isNotifiable: false, version: 1 }, headSeq: 0, resume: 'fresh', tokenExpiresAt: 0, heartbeatIntervalMs: 4_000, serverTime: 0 });
    const c = outcome(h.core.request('users.get', { identity: 'c' }));
    const sent = h.requests();
    expect(sent.map((frame) => frame.args['identity'])).toEqual(['a', 'b', 'c']);
    expect(sent.map((frame) => frame.id)).toEqual([1, 2, 3]);
    h.socket().receive(sent.map((frame) => ({ type: 'res', id: frame.id, ok: true, result: { identity: frame.args['identity'] } })) as never);
    await settle();
    expect([a.value, b.value, c.value]).toEqual([{ identity: 'a' }, { identity: 'b' }, { identity: 'c' }]);
  });

  it('CONN-3: the queue is bounded: beyond maxQueuedRequests calls reject with queue_full', async () => {
    const h = harness({ maxQueuedRequests: 2 });
    const a = outcome(h.core.request('users.get', { identity: 'a' }));
    const b = outcome(h.core.request('users.get', { identity: 'b' }));
    const c = outcome(h.core.request('users.get', { identity: 'c' }));
    await settle();
    expect(c.error).toBeInstanceOf(ConversationsError);
    expect(c.error?.code).toBe('queue_full');
    expect(c.error?.retryable).toBe(true);
    expect(a.done || b.done).toBe(false);
  });

  it('CONN-3: on a dropped connection idempotent calls are re-sent with new ids; others reject connection_lost', async () => {
    const h = harness();
    h.connect();
    const read = outcome(h.core.request('users.get', { identity: 'a' }, { idempotent: true }));
    const write = outcome(h.core.request('users.updateMe', { friendlyName: 'A' }));
    const first = h.requests();
    expect(first.map((frame) => frame.id)).toEqual([1, 2]);
    h.socket().serverClose(1006);
    await settle();
    expect(write.error?.code).toBe('connection_lost');
    expect(read.done).toBe(false);
    const queuedMeanwhile = outcome(h.core.request('users.get', { identity: 'b' }));
    h.clock.advance(100);
    h.connect();
    const resent = h.requests();
    expect(resent.map((frame) => [frame.id, frame.op, frame.args['identity']])).toEqual([[3, 'users.get', 'a'], [4, 'users.get', 'b']]);
    h.socket().receive([{ type: 'res', id: 3, ok: true, result: 'A' }, { type: 'res', id: 4, ok: true, result: 'B' }] as never);
    await settle();
    expect([read.value, queuedMeanwhile.value]).toEqual(['A', 'B']);
  });

  it('CONN-10: a reply error rejects with a ConversationsError carrying code, message, details and cause', async () => {
    const h = harness();
    h.connect();
    const call = outcome(h.core.request('messages.send', { sid: 'CH1', body: 'x', idempotencyKey: 'key-0001' }));
    const error = { code: 'string_too_long', message: 'body too long', details: { path: 'args.body', limit: 10 } } as const;
    h.socket().receive({ type: 'res', id: 1, ok: false, error });
    await settle();
    expect(call.error).toBeInstanceOf(ConversationsError);
    expect(call.error).toMatchObject({ code: 'string_too_long', message: 'body too long', details: error.details, retryable: false, cause: error });
  });

  it('CONN-3: a call without a reply rejects with request_timeout after its timeout; a late reply is ignored', async () => {
    const h = harness({ requestTimeoutMs: 5_000 });
    h.connect();
    const slow = outcome(h.core.request('users.get', { identity: 'a' }));
    const custom = outcome(h.core.request('users.get', { identity: 'b' }, { timeoutMs: 1_000 }));
    h.clock.advance(1_000);
    await settle();
    expect(custom.error?.code).toBe('request_timeout');
    expect(slow.done).toBe(false);
    h.socket().receive({ type: 'pong', serverTime: 0 });
    h.clock.advance(4_000);
    await settle();
    expect(slow.error?.code).toBe('request_timeout');
    h.socket().receive({ type: 'res', id: 1, ok: true, result: null });
    expect(h.core.connectionState).toBe('connected');
  });

  it('CONN-3: the timeout counts from sending, not from queueing', async () => {
    const h = harness({ requestTimeoutMs: 1_000 });
    const call = outcome(h.core.request('users.get', { identity: 'a' }));
    h.clock.advance(5_000);
    h.socket().fail();
    h.clock.advance(100);
    h.connect();
    h.clock.advance(999);
    await settle();
    expect(call.done).toBe(false);
    h.clock.advance(1);
    await settle();
    expect(call.error?.code).toBe('request_timeout');
  });

  it('CONN-10: an oversized request rejects locally with frame_too_large', async () => {
    const h = harness();
    h.connect();
    const call = outcome(h.core.request('messages.send', { sid: 'CH1', body: 'x'.repeat(70_000), idempotencyKey: 'key-0001' }));
    await settle();
    expect(call.error?.code).toBe('frame_too_large');
    expect(h.requests()).toEqual([]);
  });

  it('CONN-2: while denied, calls wait; they go out once a new token connects', async () => {
    const h = harness();
    h.connect();
    h.socket().serverClose(4001, 'token_expired');
    const call = outcome(h.core.request('users.get', { identity: 'a' }));
    h.clock.advance(60_000);
    await settle();
    expect(call.done).toBe(false);
    expect(h.WS.sockets).toHaveLength(1);
    void h.core.updateToken(h.token.replace(/\.[^.]+$/, '.b3RoZXI')).catch(() => undefined);
    h.connect();
    expect(h.requests().map((frame) => frame.op)).toEqual(['users.get']);
  });
});
