import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Passes the first value and every value whose `delayOf` is 0 at once; for the others, emits only the
 * latest one, `delayOf(value)` after the first of a burst. `messages$` uses it so that a burst of
 * batches into a large window assembles the array once per period instead of once per batch (PERF-2):
 * every emission is still a whole, applied state, and a new subscriber still gets the current one at once.
 */
export function coalesceLarge<T>(
  /** How long a value may wait for later ones (ms); 0: emitted at once. */
  delayOf: (value: T) => number,
  scheduler: SchedulerLike,
  /** Emits the held value at once (a command resolving: read-your-writes, STORE-6). */
  flushes?: Observable<unknown>,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let first = true;
      let latest: T;
      let pending: Subscription | null = null;
      const flush = () => {
        pending = null;
        subscriber.next(latest);
      };
      const flushSub = flushes?.subscribe(() => {
        if (pending !== null) {
          pending.unsubscribe();
          flush();
        }
      });
      const sub = source.subscribe({
        next: (value) => {
          latest = value;
          const delay = first ? 0 : delayOf(value);
          first = false;
          if (delay <= 0) {
            pending?.unsubscribe();
            pending = null;
            subscriber.next(value);
          } else if (pending === null) {
            pending = scheduler.schedule(flush, delay);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          if (pending !== null) {
            pending.unsubscribe();
            flush();
          }
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        flushSub?.unsubscribe();
        pending?.unsubscribe();
      };
    });
}
