import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { backoffDelay, type BackoffOptions } from './backoffDelay.js';

/** Options of {@link retryWithBackoff}. */
export interface RetryWithBackoffOptions extends BackoffOptions {
  /** Give up (rethrow) after this many retries. Default: retry forever. */
  readonly maxRetries?: number;
  /** Whether this error is worth a retry; `attempt` counts from 1. Default: every error. */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Timers run here. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Randomness for the jitter, [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Start counting attempts from 1 again after the source emits a value. Default true. */
  readonly resetOnValue?: boolean;
}

/**
 * Re-subscribes to the source after an error, waiting a jittered exponential delay
 * ({@link backoffDelay}) between attempts. Errors that `shouldRetry` refuses, or past `maxRetries`,
 * go to the subscriber. Releases its timer on unsubscribe.
 *
 * @example
 * defer(() => client.getConversationBySid(sid)).pipe(
 *   retryWithBackoff({ initialDelayMs: 200, maxDelayMs: 5_000, multiplier: 2, jitter: 0.5, maxRetries: 5,
 *     shouldRetry: (e) => e instanceof ConversationsError && e.retryable }),
 * );
 */
export function retryWithBackoff<T>(options: RetryWithBackoffOptions): MonoTypeOperatorFunction<T> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const maxRetries = options.maxRetries ?? Infinity;
  const resetOnValue = options.resetOnValue ?? true;
  return (source) =>
    new Observable<T>((subscriber) => {
      let attempt = 0;
      let inner: Subscription | null = null;
      let wait: Subscription | null = null;
      const subscribe = (): void => {
        inner = source.subscribe({
          next: (value) => {
            if (resetOnValue) attempt = 0;
            subscriber.next(value);
          },
          error: (error: unknown) => {
            attempt += 1;
            let retry = attempt <= maxRetries;
            try {
              retry = retry && (options.shouldRetry?.(error, attempt) ?? true);
            } catch (thrown) {
              subscriber.error(thrown);
              return;
            }
            if (!retry) {
              subscriber.error(error);
              return;
            }
            wait = scheduler.schedule(() => {
              wait = null;
              subscribe();
            }, backoffDelay(attempt, options, random));
          },
          complete: () => subscriber.complete(),
        });
      };
      subscribe();
      return () => {
        inner?.unsubscribe();
        wait?.unsubscribe();
      };
    });
}
