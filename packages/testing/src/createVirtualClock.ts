import { VirtualTimeScheduler } from 'rxjs';

/** A virtual clock: see {@link createVirtualClock}. */
export interface VirtualClock {
  /** Pass it as the client's `options.scheduler` (and `new FakeServer({ scheduler })`). */
  readonly scheduler: VirtualTimeScheduler;
  /** Current virtual time, ms. */
  now(): number;
  /** Runs, in time order, every action due within the next `ms`, then sets the time to `now + ms`. */
  advanceBy(ms: number): void;
  /** Runs every action due up to `time`, then sets the time to `time`. */
  advanceTo(time: number): void;
  /** Runs every action due now (including zero-delay actions they schedule). Time does not move. */
  flush(): void;
  /**
   * Like {@link VirtualClock.advanceBy}, but lets promise callbacks run between due times, for code
   * that mixes timers and promises (a reconnect after `await`, a token provider).
   */
  tick(ms?: number): Promise<void>;
  /** Actions scheduled and not yet run (periodic ones count once). */
  readonly pending: number;
}

/** Microtask turns drained between due times by `tick`: enough for chains of awaits in SDK code. */
const MICROTASK_TURNS = 20;

async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < MICROTASK_TURNS; i += 1) await Promise.resolve();
}

/**
 * A clock for virtual time: an RxJS `VirtualTimeScheduler` you advance by hand, so backoff,
 * heartbeats, typing timeouts and TTL caches run at once, deterministically. Unlike
 * `VirtualTimeScheduler.flush()`, advancing never runs actions scheduled beyond the target time, so
 * periodic timers (heartbeats) cannot loop forever. For marble tests use RxJS `TestScheduler.run`
 * instead (see docs/guides/testing.md).
 *
 * @example
 * ```ts
 * import { ConversationsClient } from '@rx-conversations/client';
 * import { FakeServer, createVirtualClock } from '@rx-conversations/testing';
 *
 * const clock = createVirtualClock();
 * const fake = new FakeServer();
 * const client = new ConversationsClient(fake.tokenFor('alice'), {
 *   url: fake.url,
 *   WebSocket: fake.WebSocket,
 *   scheduler: clock.scheduler,
 * });
 * fake.dropConnections();
 * await clock.tick(30_000); // backoff timers fire; the client reconnects
 * ```
 */
export function createVirtualClock(options: { readonly startTime?: number } = {}): VirtualClock {
  const scheduler = new VirtualTimeScheduler();
  scheduler.frame = options.startTime ?? 0;
  const runUntil = (time: number): void => {
    if (!Number.isFinite(time) || time < scheduler.frame) throw new RangeError(`virtual time cannot move to ${time} from ${scheduler.frame}`);
    scheduler.maxFrames = time;
    try {
      scheduler.flush();
    } finally {
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
    }
    scheduler.frame = time;
  };
  return {
    scheduler,
    now: () => scheduler.now(),
    advanceBy: (ms) => runUntil(scheduler.frame + ms),
    advanceTo: runUntil,
    flush: () => runUntil(scheduler.frame),
    async tick(ms = 0) {
      const target = scheduler.frame + ms;
      await drainMicrotasks();
      for (;;) {
        const next = scheduler.actions[0];
        if (next === undefined || (next.delay ?? 0) > target) break;
        runUntil(Math.max(scheduler.frame, next.delay ?? 0));
        await drainMicrotasks();
      }
      runUntil(target);
      await drainMicrotasks();
    },
    get pending() {
      return scheduler.actions.length;
    },
  };
}
