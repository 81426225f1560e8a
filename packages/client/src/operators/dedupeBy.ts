import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/** Options of {@link dedupeBy}. */
export interface DedupeByOptions<T> {
  /** Let an item with a key already seen through when it is newer than the one seen (e.g. by `version`). */
  readonly isNewer?: (next: T, seen: T) => boolean;
  /** Forget every key seen when this emits. */
  readonly flushes?: Observable<unknown>;
}

/**
 * Drops items whose key was already seen — the de-duplication a paged fetch merged with a live stream
 * needs (Twilio's "subscribe first, then page, and de-duplicate yourself"). With `isNewer`, a later
 * version of a seen key passes. Memory: one entry per distinct key until `flushes` emits.
 *
 * @example
 * merge(live.conversationAdded$, fromPages$).pipe(dedupeBy((c) => c.sid, { isNewer: (a, b) => a.version > b.version }));
 */
export function dedupeBy<T, K>(keyFn: (item: T) => K, options: DedupeByOptions<T> = {}): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const seen = new Map<K, T>();
      const flush = options.flushes?.subscribe({ next: () => seen.clear(), error: (e: unknown) => subscriber.error(e) });
      const subscription = source.subscribe({
        next: (item) => {
          let key: K;
          let pass: boolean;
          try {
            key = keyFn(item);
            const previous = seen.get(key);
            pass = !seen.has(key) || (options.isNewer !== undefined && options.isNewer(item, previous as T));
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (!pass) return;
          seen.set(key, item);
          subscriber.next(item);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        subscription.unsubscribe();
        flush?.unsubscribe();
        seen.clear();
      };
    });
}
