// Memory bound (STORE-12): a client observes a conversation that receives 100,000 messages (produced
// as fast as the server takes them, through a raw connection). Every message reaches `messages$`; once
// nobody observes the conversation any more, its window is trimmed to `windowKeepMessages` after
// `windowGraceMs`, so the store does not keep every message ever seen.
//
// The grace period runs on an injected scheduler: timers of at least GRACE_MS are held and fired by the
// test (moving the clock forward by GRACE_MS), everything else runs in real time. No sleeping.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { asyncScheduler, filter, firstValueFrom, Subscription, take, timeout, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { AUTH_SUBPROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL, type ServerFrame } from '@rx-conversations/protocol';
import { startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, type MessageView } from '../../src/index.js';
import { createMemoryStorage } from '../../src/push/KeyValueStorage.js';

const KEY_ID = 'SKmemory';
const SECRET = 'memory-test-secret-that-is-long-enough-01';
const GRACE_MS = 2 * 60 * 60 * 1000;
const KEEP = 100;
const TOTAL = 100_000;

/** Real time, except timers of GRACE_MS or more: held until `fire()`, which moves the clock past them. */
class GraceScheduler implements SchedulerLike {
  private offset = 0;
  private held: Array<{ run: () => void; sub: Subscription }> = [];
  now(): number {
    return Date.now() + this.offset;
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    if (delay < GRACE_MS) return asyncScheduler.schedule(work, delay, state);
    const sub = new Subscription(() => (this.held = this.held.filter((h) => h.sub !== sub)));
    const action = { schedule: (s?: T, d = 0) => this.schedule(work, d, s), unsubscribe: () => sub.unsubscribe(), closed: false } as unknown as SchedulerAction<T>;
    this.held.push({ run: () => work.call(action, state), sub });
    return sub;
  }
  get pending(): number {
    return this.held.length;
  }
  fire(): void {
    this.offset += GRACE_MS;
    const due = this.held;
    this.held = [];
    for (const h of due) h.run();
  }
}

let server: RunningServer;
const token = (identity: string) => createAccessToken({ identity, keyId: KEY_ID, secret: SECRET, ttlSeconds: 86_400 });

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET }, rateLimit: { ratePerSecond: 1e9, burst: 1e9 }, retention: { maxEvents: 1_000_000 } });
});
afterAll(async () => {
  await server.close();
});

/** Sends `count` messages on a raw socket, `window` in flight; resolves when all are acknowledged. */
async function produce(identity: string, sid: string, count: number, window = 500): Promise<void> {
  const socket = new WebSocket(server.url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + (await token(identity))]);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION }));
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < count && sent - acked < window) {
        sent += 1;
        socket.send(JSON.stringify({ type: 'req', id: sent, op: 'messages.send', args: { sid, body: `m${sent}`, idempotencyKey: `produce-${sent}-key` } }));
      }
    };
    socket.on('message', (data) => {
      const value = JSON.parse(String(data)) as ServerFrame | ServerFrame[];
      for (const frame of Array.isArray(value) ? value : [value]) {
        if (frame.type === 'welcome') pump();
        if (frame.type !== 'res') continue;
        if (!frame.ok) return reject(new Error(JSON.stringify(frame.error)));
        acked += 1;
      }
      if (acked === count) resolve();
      else pump();
    });
  });
  socket.close();
}

describe('client memory is bounded (STORE-12)', () => {
  it('STORE-12: a conversation that received 100,000 messages while observed is trimmed to windowKeepMessages once unobserved', async () => {
    const scheduler = new GraceScheduler();
    const producerClient = new ConversationsClient(await token('producer'), { url: server.url, WebSocket, storage: createMemoryStorage(), fetch: null });
    const observer = new ConversationsClient(await token('observer'), {
      url: server.url,
      WebSocket,
      storage: createMemoryStorage(),
      fetch: null,
      scheduler,
      windowGraceMs: GRACE_MS,
      windowKeepMessages: KEEP,
      // The clock jumps by GRACE_MS: the heartbeat must not count that as silence.
      heartbeat: { intervalMs: 1_000, timeoutMs: GRACE_MS * 4 },
      requestTimeoutMs: GRACE_MS * 4,
    });
    try {
      await producerClient.whenSynchronized();
      const handle = await producerClient.createConversation({ friendlyName: 'firehose' });
      await handle.add('observer');
      await observer.whenSynchronized();
      const conversation = observer.conversation(handle.sid);
      let held = 0;
      let maxHeld = 0;
      const watching = conversation.messages$.subscribe((list) => {
        held = list.length;
        maxHeld = Math.max(maxHeld, held);
      });
      const heapBefore = process.memoryUsage().heapUsed;
      const started = Date.now();
      await produce('producer', handle.sid, TOTAL);
      const last = await firstValueFrom(conversation.messages$.pipe(filter((l: readonly MessageView[]) => l[l.length - 1]?.index === TOTAL - 1), timeout(60_000)));
      const heapObserved = process.memoryUsage().heapUsed;
      // Every message arrived, in order, once.
      expect(last.length).toBe(TOTAL);
      expect(last.every((m, i) => m.index === i)).toBe(true);

      // Nobody observes it any more: after the grace time the window keeps the newest KEEP messages.
      watching.unsubscribe();
      expect(scheduler.pending).toBeGreaterThan(0);
      scheduler.fire();
      const trimmed = await firstValueFrom(conversation.messages$.pipe(take(1), timeout(5_000)));
      expect(trimmed.length).toBeLessThanOrEqual(KEEP);
      expect(trimmed.map((m) => m.index)).toEqual(Array.from({ length: trimmed.length }, (_, i) => TOTAL - trimmed.length + i));
      // Live messages still append after the trim.
      await handle.sendMessage('after the trim');
      const after = await firstValueFrom(conversation.messages$.pipe(filter((l) => l[l.length - 1]?.index === TOTAL), timeout(5_000)));
      expect(after.length).toBeLessThanOrEqual(KEEP + 1);
      process.stdout.write(
        `memory: ${TOTAL} messages in ${((Date.now() - started) / 1000).toFixed(1)} s; observed window held up to ${maxHeld} ` +
          `(heap +${((heapObserved - heapBefore) / 1e6).toFixed(0)} MB while observed); trimmed to ${trimmed.length} once unobserved\n`,
      );
    } finally {
      await observer.shutdown();
      await producerClient.shutdown();
    }
  }, 120_000);
});
