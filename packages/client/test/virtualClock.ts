import { VirtualTimeScheduler } from 'rxjs';

/** A hand-advanced VirtualTimeScheduler that lets promise callbacks run between due times. */
export function virtualClock() {
  const scheduler = new VirtualTimeScheduler();
  const runUntil = (time: number): void => {
    scheduler.maxFrames = time;
    try {
      scheduler.flush();
    } finally {
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
    }
    scheduler.frame = time;
  };
  const drain = async () => {
    for (let i = 0; i < 30; i++) await Promise.resolve();
  };
  return {
    scheduler,
    now: () => scheduler.now(),
    /** Advances virtual time by `ms`, draining microtasks between due actions. */
    async tick(ms = 0): Promise<void> {
      const target = scheduler.frame + ms;
      await drain();
      for (;;) {
        const next = scheduler.actions[0];
        if (next === undefined || (next.delay ?? 0) > target) break;
        runUntil(Math.max(scheduler.frame, next.delay ?? 0));
        await drain();
      }
      runUntil(target);
      await drain();
    },
  };
}
