import { asyncScheduler, Observable, Subscription, type OperatorFunction, type SchedulerLike, type Subscriber } from 'rxjs';

/** Options of {@link ttlCache}. */
export interface TtlCacheOptions<T = unknown> {
  /** Each emission marks the cached value stale (a live event said it changed). */
  readonly invalidate?: Observable<unknown>;
  /**
   * Values known to be current without a fetch (a store that holds the exact value): each replaces the
   * cached value, counts as just fetched, and goes to every subscriber at once. A fetch in flight when
   * one arrives is not used (it may predate it).
   */
  readonly known?: Observable<T>;
  /** Timers and the clock. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Its first emission (or completion) ends the cache for good: every subscriber completes, every timer
   * and fetch is released, and later subscribers complete at once (a client's shutdown).
   */
  readonly until?: Observable<unknown>;
}

/**
 * A shared, time-bounded cache in front of a fetch (STORE-8). Apply it to a cold observable whose
 * every subscription performs one fetch (e.g. `defer(() => request())`); the result is one hot
 * observable to share among any number of subscribers:
 *
 * - at most one fetch is in flight, and its answer goes to every subscriber;
 * - two fetches never start less than `ttlMs` apart, whatever happens;
 * - while anyone is subscribed, the value is re-fetched every `ttlMs`;
 * - a value is handed to a new subscriber only while it is younger than `ttlMs` and not invalidated;
 *   otherwise the subscriber waits for the next fetch, which starts as soon as the spacing allows;
 * - an `invalidate` emission marks the value stale, so nobody is given a value known to be outdated;
 * - a `known` emission is the value, at once, for everyone (ROBUST-3).
 *
 * A failed first fetch errors the waiting subscribers (the next subscriber tries again); a failed
 * refresh keeps the previous value. Everything is released when the last subscriber leaves, or for
 * good when `until` emits.
 *
 * @example
 * const counts$ = defer(() => session.request('conversations.counts', { sid })).pipe(
 *   ttlCache(10_000, { invalidate: messageEventsOf(sid) }),
 * );
 */
export function ttlCache<T>(ttlMs: number, options: TtlCacheOptions<T> = {}): OperatorFunction<T, T> {
  return (source) => {
    const scheduler = options.scheduler ?? asyncScheduler;
    const subscribers = new Set<Subscriber<T>>();
    let hasValue = false;
    let value: T | undefined;
    let stale = false;
    let lastFetchAt = -Infinity;
    let inFlight: Subscription | null = null;
    let timerSub: Subscription | null = null;
    let invalidation: Subscription | null = null;
    let ended = false;
    /** A known value arrived while the fetch in flight was out: its answer is not used. */
    let overtaken = false;
    let end: Subscription | null = null;

    const fresh = () => hasValue && !stale && scheduler.now() - lastFetchAt < ttlMs;

    const schedule = (): void => {
      timerSub?.unsubscribe();
      timerSub = null;
      if (subscribers.size === 0 || inFlight !== null) return;
      const due = Math.max(0, lastFetchAt + ttlMs - scheduler.now());
      timerSub = scheduler.schedule(() => {
        timerSub = null;
        fetch();
      }, due);
    };

    const fetch = (): void => {
      if (inFlight !== null || subscribers.size === 0) return;
      if (scheduler.now() - lastFetchAt < ttlMs) {
        schedule();
        return;
      }
      lastFetchAt = scheduler.now();
      overtaken = false;
      let settled = false;
      const sub = source.subscribe({
        next: (v) => {
          if (settled) return;
          settled = true;
          inFlight?.unsubscribe();
          inFlight = null;
          if (!overtaken) learn(v);
          schedule();
        },
        error: (error: unknown) => {
          settled = true;
          inFlight = null;
          if (!hasValue) {
            const waiting = [...subscribers];
            subscribers.clear();
            teardownIfIdle();
            for (const s of waiting) s.error(error);
          } else {
            schedule();
          }
        },
        complete: () => {
          if (settled) return;
          settled = true;
          inFlight = null;
          schedule();
        },
      });
      if (!settled) inFlight = sub;
    };

    const teardownIfIdle = (): void => {
      if (subscribers.size > 0) return;
      timerSub?.unsubscribe();
      timerSub = null;
      inFlight?.unsubscribe();
      inFlight = null;
      // Keep listening for invalidations while the cached value could still be handed out; stop once
      // it has expired anyway, so an idle cache holds nothing.
      const left = hasValue && !stale ? lastFetchAt + ttlMs - scheduler.now() : 0;
      if (left <= 0) {
        release();
      } else {
        timerSub = scheduler.schedule(() => {
          timerSub = null;
          if (subscribers.size === 0) release();
        }, left);
      }
    };

    /** Idle and expired: listens to nothing (so nothing outside holds the cache), trusts nothing. */
    const release = (): void => {
      stale = true;
      invalidation?.unsubscribe();
      invalidation = null;
      end?.unsubscribe();
      end = null;
    };

    const learn = (v: T): void => {
      hasValue = true;
      value = v;
      stale = false;
      for (const s of [...subscribers]) s.next(v);
    };

    const finish = (): void => {
      if (ended) return;
      ended = true;
      const waiting = [...subscribers];
      subscribers.clear();
      hasValue = false;
      teardownIfIdle();
      for (const s of waiting) s.complete();
    };

    return new Observable<T>((subscriber) => {
      if (end === null && options.until !== undefined) end = options.until.subscribe({ next: finish, complete: finish });
      if (ended) return subscriber.complete();
      subscribers.add(subscriber);
      if (invalidation === null && (options.invalidate !== undefined || options.known !== undefined)) {
        invalidation = new Subscription();
        invalidation.add(options.invalidate?.subscribe(() => {
          stale = true;
        }));
        invalidation.add(options.known?.subscribe((v) => {
          overtaken = inFlight !== null;
          lastFetchAt = scheduler.now();
          learn(v);
          if (subscribers.size > 0) schedule();
        }));
      }
      if (fresh()) subscriber.next(value as T);
      if (inFlight === null) {
        if (fresh()) schedule();
        else fetch();
      }
      return () => {
        subscribers.delete(subscriber);
        teardownIfIdle();
      };
    });
  };
}
