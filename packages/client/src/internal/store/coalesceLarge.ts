import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Passes the first value and every "small" value at once; when values are large (`isLarge`), emits
 * only the latest one per `delayMs` (a frame, for `messages$`). `messages$` uses it so that a burst of batches into a
 * window of 100k messages assembles the array once per turn instead of once per batch (PERF-2): every
 * emission is still a whole, applied state, and a new subscriber still gets the current one at once.
 */
export function coalesceLarge<T>(
  isLarge: (value: T) => boolean,
  scheduler: SchedulerLike,
  delayMs = 0,
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
          if (first || !isLarge(value)) {
            first = false;
            pending?.unsubscribe();
            pending = null;
            subscriber.next(value);
          } else if (pending === null) {
            pending = scheduler.schedule(flush, delayMs);
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
