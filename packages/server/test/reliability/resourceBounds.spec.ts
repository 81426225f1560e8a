// Resource bounds (SRV-5): a reader that stops reading is cut before the server buffers more than the
// configured bound (plus the one batch that crossed it), and loses nothing on resume; a command flood is
// refused with a retryable `rate_limited` and has no effect, other connections are unaffected, and the
// flooder recovers after `retryAfterMs`; a fast reader resuming a large backlog is not cut as slow.
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { isRetryable, type ErrorFrame, type Message, type ResultFrame } from '@rx-conversations/protocol';
import { key } from '../helpers/connectUser.js';
import { useServers } from '../helpers/useServers.js';
import type { TestClient } from '../helpers/TestClient.js';

const { cleanups, start, connect } = useServers();

/** Log records of a pino logger, in an array. */
function recordingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), records };
}

const rawSocket = (client: TestClient) => (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;

describe('slow consumers (SRV-5)', () => {
  it('SRV-5: a reader that stops reading is cut before the server buffers past maxBufferedBytes + one batch; it resumes losing nothing; others are unaffected', async () => {
    const MAX = 256 * 1024;
    const { logger, records } = recordingLogger();
    const server = await start({ maxBufferedBytes: MAX, logger, rateLimit: { ratePerSecond: 100_000, burst: 100_000 } });
    const writer = await connect(server, 'writer');
    const slow = await connect(server, 'slow');
    const fast = await connect(server, 'fast');
    const { sid } = await writer.request('conversations.create', {});
    await writer.request('participants.add', { sid, identity: 'slow' });
    await writer.request('participants.add', { sid, identity: 'fast' });
    await slow.waitForEvent('participantJoined', (e) => e.data.participant.identity === 'fast');
    const seen = slow.lastSeq();
    rawSocket(slow).pause();

    // One message per flush (each send waits for its reply), so "one batch" is one messageAdded frame.
    const body = 'x'.repeat(16 * 1024);
    const sent: Message[] = [];
    let cut = false;
    void slow.closed.then(() => (cut = true));
    const slowRecord = () => records.find((r) => r['msg'] === 'slow consumer');
    for (let i = 0; i < 5000 && slowRecord() === undefined; i++) {
      sent.push(await writer.request('messages.send', { sid, body, idempotencyKey: key() }));
    }
    const record = slowRecord();
    expect(record).toBeDefined();
    const oneBatch = JSON.stringify({ type: 'ev', seq: 0, kind: 'messageAdded', data: { message: sent[0] }, at: 0 }).length + 64;
    expect(record!['bufferedAmount']).toBeGreaterThan(MAX);
    expect(record!['bufferedAmount']).toBeLessThanOrEqual(MAX + oneBatch);
    // The fast reader kept up the whole time: every message, in order.
    const last = sent[sent.length - 1]!;
    await fast.waitForEvent('messageAdded', (e) => e.data.message.index === last.index);
    expect(fast.events().filter((e) => e.kind === 'messageAdded').map((e) => (e.data as { message: Message }).message.index)).toEqual(sent.map((m) => m.index));

    rawSocket(slow).resume();
    const { code } = await slow.closed;
    expect(cut).toBe(true);
    expect([4008, 1006]).toContain(code);
    // Resume from the last event the slow reader applied: everything it missed, once, in order.
    const delivered = slow.events().filter((e) => e.seq > seen);
    const resumeFrom = delivered.length === 0 ? seen : delivered[delivered.length - 1]!.seq;
    const back = await connect(server, 'slow', { lastSeq: resumeFrom });
    expect(back.welcome.resume).toBe('resumed');
    await back.waitForEvent('messageAdded', (e) => e.data.message.index === last.index, 10_000);
    const indexes = [...delivered, ...back.events()].filter((e) => e.kind === 'messageAdded').map((e) => (e.data as { message: Message }).message.index);
    expect(indexes).toEqual(sent.map((m) => m.index));
    process.stdout.write(`slow consumer: cut at ${String(record!['bufferedAmount'])} buffered bytes (bound ${MAX}), after ${sent.length} messages; resumed ${back.events().length} events\n`);
  }, 30_000);

  it('SRV-5: a fast reader resuming a backlog larger than maxBufferedBytes is not cut as a slow consumer', async () => {
    const server = await start({ maxBufferedBytes: 1024 * 1024, rateLimit: { ratePerSecond: 100_000, burst: 100_000 } });
    const writer = await connect(server, 'writer');
    const { sid } = await writer.request('conversations.create', {});
    const body = 'y'.repeat(30_000);
    for (let i = 0; i < 300; i++) await writer.request('messages.send', { sid, body, idempotencyKey: key() });
    await writer.close();
    // ~9 MB to replay to a reader that reads as fast as it can, and asks something right away.
    const reader = await connect(server, 'writer', { lastSeq: 0 });
    const outcome = await Promise.race([
      reader.request('users.get', { identity: 'writer' }).then(() => 'answered'),
      reader.closed.then(({ code }) => `closed ${code}`),
    ]);
    expect(outcome).toBe('answered');
    await reader.waitForEvent('messageAdded', (e) => e.data.message.index === 299, 10_000);
  }, 30_000);
});

describe('rate limits (SRV-5)', () => {
  it('SRV-5: a flood of commands gets rate_limited (retryable, retryAfterMs) with no effect; others are unaffected; it recovers', async () => {
    let now = Date.now();
    const server = await start({ clock: () => now, rateLimit: { ratePerSecond: 10, burst: 20 } });
    const flooder = await connect(server, 'flooder');
    const bystander = await connect(server, 'bystander');
    const { sid } = await flooder.request('conversations.create', {});
    // 300 sends pipelined at once.
    const replies = await Promise.all(Array.from({ length: 300 }, () => flooder.requestFrame('messages.send', { sid, body: 'flood', idempotencyKey: key() })));
    const ok = replies.filter((r): r is ResultFrame<'messages.send'> => r.ok);
    const limited = replies.filter((r): r is ErrorFrame => !r.ok);
    expect(ok.length).toBeLessThanOrEqual(20);
    expect(ok.length + limited.length).toBe(300);
    for (const reply of limited) {
      expect(reply.error.code).toBe('rate_limited');
      expect(isRetryable(reply.error.code)).toBe(true);
      expect(reply.error.details?.retryAfterMs).toBeGreaterThan(0);
    }
    // Refused requests had no effect; the connection is still up; the bystander never waited.
    expect(await bystander.request('users.get', { identity: 'bystander' })).toMatchObject({ identity: 'bystander' });
    const retryAfterMs = Math.max(...limited.map((r) => r.error.details!.retryAfterMs!));
    now += retryAfterMs;
    const page = await flooder.request('messages.list', { sid, pageSize: 100 });
    expect(page.items).toHaveLength(ok.length);
    expect(page.items.map((m) => m.index)).toEqual(ok.map((r) => r.result.index));
    // After retryAfterMs (by the server's clock) the same command succeeds again.
    now += 1000;
    expect((await flooder.requestFrame('messages.send', { sid, body: 'after', idempotencyKey: key() })).ok).toBe(true);
  });
});
