import { Subscription, type SchedulerLike } from 'rxjs';
import { ConversationsError } from '../../ConversationsError.js';
import type { CoreLog } from './CoreLog.js';

/** What a {@link TokenRefresher} needs. */
export interface TokenRefresherConfig {
  readonly provider: () => Promise<string>;
  /** Hands the fresh token to the client (its `updateToken`). */
  readonly apply: (token: string) => Promise<void>;
  readonly scheduler: SchedulerLike;
  /** Delay before retry number `failures` (≥ 1). */
  readonly retryDelay: (failures: number) => number;
  /** Told about each provider failure (`token_provider_failed`). */
  readonly onProviderFailure: (error: ConversationsError) => void;
  readonly log: CoreLog;
}

/**
 * Calls `options.tokenProvider` and applies its token (CONN-7), single-flight: triggers while a call
 * is in flight or a retry is scheduled share it. A failure (the provider rejects or returns a
 * non-string, or the server refuses the token) is retried with backoff until one succeeds, a token
 * arrives by other means (`reset()`), or the client shuts down (`dispose()`).
 */
export class TokenRefresher {
  private inFlight = false;
  private failures = 0;
  private retry = new Subscription();
  private disposed = false;

  constructor(private readonly config: TokenRefresherConfig) {
    this.retry.unsubscribe();
  }

  /** Asks for a fresh token unless one is already being fetched or a retry is scheduled. */
  trigger(reason: string): void {
    if (this.disposed || this.inFlight || !this.retry.closed) return;
    this.config.log.debug('calling tokenProvider', { reason });
    this.run();
  }

  /** A token arrived another way: forget failures and any scheduled retry. */
  reset(): void {
    this.failures = 0;
    this.retry.unsubscribe();
  }

  /** Stops for good: no call, no retry from now on. */
  dispose(): void {
    this.disposed = true;
    this.retry.unsubscribe();
  }

  private run(): void {
    this.inFlight = true;
    let token: string;
    Promise.resolve()
      .then(() => this.config.provider())
      .then(
        (value) => {
          if (typeof value !== 'string') throw new ConversationsError('token_provider_failed', `tokenProvider resolved with a ${typeof value}, not a token`);
          token = value;
        },
        (cause: unknown) => {
          throw new ConversationsError('token_provider_failed', 'tokenProvider rejected', { cause });
        },
      )
      .then(
        () => (this.disposed ? undefined : this.config.apply(token)),
        (error: ConversationsError) => {
          if (!this.disposed) this.config.onProviderFailure(error);
          throw error;
        },
      )
      .then(
        () => {
          this.inFlight = false;
          this.failures = 0;
        },
        (error: unknown) => {
          this.inFlight = false;
          if (this.disposed || (error instanceof ConversationsError && error.code === 'client_shut_down')) return;
          this.failures += 1;
          const delay = this.config.retryDelay(this.failures);
          this.config.log.warn('token refresh failed; retrying', { failures: this.failures, delayMs: delay, error });
          this.retry = this.config.scheduler.schedule(() => {
            this.retry.unsubscribe();
            this.trigger('retry');
          }, delay);
        },
      );
  }
}
