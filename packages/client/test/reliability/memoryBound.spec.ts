// Memory bound (STORE-12): a client observes a conversation that receives 100,000 messages (produced
// as fast as the server takes them, through a raw connection). While observed, its window holds at most
// `maxWindowMessages` (default 2,000): every message reaches `messages$` as it arrives and the oldest
// leave, so the retained heap stays flat from the first quarter of the stream to its end. Once nobody
// observes the conversation any more, its window is trimmed to `windowKeepMessages` after
// `windowGraceMs`.
//
// The heap is measured after a full collection (`gc`, exposed at run time), so what is compared is what
// the process retains, not garbage that happens not to be collected yet. The server runs in this
// process too: its own share is in both figures.
//
// The grace period runs on an injected scheduler: timers of at least GRACE_MS are held and fired by the
// test (moving the clock forward by GRACE_MS), everything else runs in real time. No sleeping.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { asyncScheduler, filter, firstValueFrom, Subscription, take, timeout, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, type MessageView } from '../../src/index.js';
import { createMemoryStorage } from '../../src/push/KeyValueStorage.js';
import { TestClient } from '../../../server/test/helpers/TestClient.js';

const KEY_ID = 'SKmemory';
const SECRET = 'memory-test-secret-that-is-long-enough-01';
const GRACE_MS = 2 * 60 * 60 * 1000;
const KEEP = 100;
const TOTAL = 100_000;
const ROUNDS = 4;
/** The default `maxWindowMessages`. */
const BOUND = 2_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const signed = (mb: number): string => `${mb < 0 ? '−' : '+'}${Math.abs(mb).toFixed(1)}`;

/** Heap retained now, in MB, after a full collection. */
function retainedMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

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

/** Sends `count` messages on a raw connection, `window` in flight; resolves when all are acknowledged. */
async function produce(identity: string, sid: string, count: number, round: number, window = 500): Promise<void> {
  const producer = await TestClient.connect(server.url, await token(identity), { requestTimeoutMs: 60_000 });
  let sent = 0;
  const sender = async (): Promise<void> => {
    while (sent < count) {
      sent += 1;
      await producer.request('messages.send', { sid, body: `m${round}-${sent}`, idempotencyKey: `produce-${round}-${sent}-key` });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(window, count) }, sender));
  } finally {
    await producer.close();
  }
}

describe('client memory is bounded (STORE-12)', () => {
  it('STORE-12: an observed conversation receiving 100,000 messages keeps its window at maxWindowMessages and the heap flat; unobserved, it is trimmed to windowKeepMessages', async () => {
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
      // The raw producer socket does the rest (one client fewer for the server to fan out to).
      await producerClient.shutdown();
      await observer.whenSynchronized();
      const conversation = observer.conversation(handle.sid);
      let maxHeld = 0;
      let gaps = 0;
      let previousLast = -1;
      const watching = conversation.messages$.subscribe((list) => {
        maxHeld = Math.max(maxHeld, list.length);
        // Each emission is a contiguous run of indexes ending at the newest message.
        const first = list[0]?.index ?? 0;
        const last = list[list.length - 1]?.index ?? -1;
        if (list.length > 0 && last - first + 1 !== list.length) gaps += 1;
        if (last < previousLast) gaps += 1;
        previousLast = last;
      });
      const heap: number[] = [retainedMb()];
      const started = Date.now();
      for (let round = 1; round <= ROUNDS; round++) {
        await produce('producer', handle.sid, TOTAL / ROUNDS, round);
        const newest = (TOTAL / ROUNDS) * round - 1;
        const list = await firstValueFrom(conversation.messages$.pipe(filter((l: readonly MessageView[]) => l[l.length - 1]?.index === newest), timeout(60_000)));
        // The window follows the live end: the newest BOUND messages, in order, once.
        expect(list.map((m) => m.index)).toEqual(Array.from({ length: BOUND }, (_, i) => newest - BOUND + 1 + i));
        heap.push(retainedMb());
      }
      const seconds = (Date.now() - started) / 1000;
      expect(maxHeld).toBe(BOUND);
      expect(gaps).toBe(0);
      const state = await firstValueFrom(conversation.state$.pipe(take(1)));
      expect([state!.lastMessageIndex, state!.messagesCount]).toEqual([TOTAL - 1, TOTAL]);
      const windowState = await firstValueFrom(conversation.messagesWindow$.pipe(take(1)));
      expect(windowState).toEqual({ hasOlder: true, hasNewer: false });
      // Flat: from the first quarter of the stream to its end the process retains almost nothing more
      // (with `maxWindowMessages: Infinity` it retains ~0.95 kB per message: +71 MB for these 75,000).
      const growth = heap[ROUNDS]! - heap[1]!;
      expect(growth).toBeLessThan(15);

      // Nobody observes it any more: after the grace time the window keeps the newest KEEP messages.
      watching.unsubscribe();
      expect(scheduler.pending).toBeGreaterThan(0);
      scheduler.fire();
      const trimmed = await firstValueFrom(conversation.messages$.pipe(take(1), timeout(5_000)));
      expect(trimmed.map((m) => m.index)).toEqual(Array.from({ length: KEEP }, (_, i) => TOTAL - KEEP + i));
      // Live messages still append after the trim.
      await produce('producer', handle.sid, 1, ROUNDS + 1);
      const after = await firstValueFrom(conversation.messages$.pipe(filter((l) => l[l.length - 1]?.index === TOTAL), timeout(5_000)));
      expect(after.length).toBe(KEEP + 1);
      process.stdout.write(
        `memory: ${TOTAL} messages in ${seconds.toFixed(1)} s; observed window held at most ${maxHeld} (maxWindowMessages ${BOUND}); ` +
          `retained heap after each ${TOTAL / ROUNDS}: ${heap.slice(1).map((mb) => `${mb.toFixed(0)} MB`).join(', ')} ` +
          `(${signed(growth)} MB from the first quarter to the end, ${signed(heap[ROUNDS]! - heap[0]!)} MB overall); trimmed to ${trimmed.length} once unobserved\n`,
      );
    } finally {
      await observer.shutdown();
      await producerClient.shutdown();
    }
  }, 120_000);
});
