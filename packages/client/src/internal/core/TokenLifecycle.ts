import { Subject, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import { MAX_TIMER_MS } from '@rx-conversations/protocol';
import { ConversationsError } from '../../ConversationsError.js';
import type { CoreLog } from './CoreLog.js';
import { decodeTokenClaims, type TokenClaims } from './tokenClaims.js';
import { TokenRefresher } from './TokenRefresher.js';

/** What `tokenAboutToExpire$` emits. */
export interface TokenExpiryNotice {
  /** When the current token expires, epoch ms. */
  readonly expiresAt: number;
}

/** What a {@link TokenLifecycle} needs from the client. */
export interface TokenLifecycleConfig {
  readonly scheduler: SchedulerLike;
  /** How long before `exp` the token is about to expire. */
  readonly leadMs: number;
  readonly provider: (() => Promise<string>) | null;
  /** Hands a token from the provider to the client (its `updateToken`). */
  readonly apply: (token: string) => Promise<void>;
  /** Delay before the provider's retry number `failures` (≥ 1). */
  readonly retryDelay: (failures: number) => number;
  /** Told about each provider failure (`token_provider_failed`). */
  readonly onProviderFailure: (error: ConversationsError) => void;
  readonly log: CoreLog;
}

/**
 * The token in force and what happens around its expiry (CONN-7): `aboutToExpire$` at `exp` − lead
 * (never more than half the token's life) or on the server's notice, `expired$` at `exp` or on a
 * refusal — each once per token — and the `tokenProvider` called on each of them. Connecting with the
 * token, and `updateToken`'s round trip, stay with the connection core.
 *
 * @example
 * const tokens = new TokenLifecycle(token, { scheduler, leadMs: 180_000, provider: null, apply, retryDelay, onProviderFailure, log });
 * tokens.aboutToExpire$.subscribe(({ expiresAt }) => console.log('expires at', expiresAt));
 */
export class TokenLifecycle {
  readonly aboutToExpire$: Observable<TokenExpiryNotice>;
  readonly expired$: Observable<void>;
  private readonly aboutSubject = new Subject<TokenExpiryNotice>();
  private readonly expiredSubject = new Subject<void>();
  private readonly refresher: TokenRefresher | null;
  private token: string;
  private identity: string;
  private timers = new Subscription();
  private aboutAnnouncedFor: string | null = null;
  private expiredAnnouncedFor: string | null = null;

  constructor(token: unknown, private readonly config: TokenLifecycleConfig) {
    this.token = typeof token === 'string' ? token : '';
    this.identity = decodeTokenClaims(this.token)?.identity ?? '';
    this.aboutToExpire$ = this.aboutSubject.asObservable();
    this.expired$ = this.expiredSubject.asObservable();
    const { provider } = config;
    this.refresher = provider === null ? null : new TokenRefresher({ ...config, provider });
    this.arm();
  }

  /** The token in force. */
  get current(): string {
    return this.token;
  }

  /** The identity of the tokens; '' until a decodable token named one. */
  get currentIdentity(): string {
    return this.identity;
  }

  /** Learns the identity from the server when the token did not name it. */
  welcomed(identity: string): void {
    if (this.identity === '') this.identity = identity;
  }

  /** Checks a token for `updateToken`; throws the `ConversationsError` it rejects with. */
  check(token: unknown): TokenClaims {
    if (typeof token !== 'string') throw new ConversationsError('token_not_a_string', 'updateToken expects the token as a string');
    const claims = decodeTokenClaims(token);
    if (claims === null) throw new ConversationsError('token_malformed', 'updateToken: the token is not a decodable JWT');
    if (claims.identity !== null && this.identity !== '' && claims.identity !== this.identity) {
      throw new ConversationsError('token_identity_mismatch', 'updateToken: the token is for another identity; create a new client for it');
    }
    return claims;
  }

  /** A token came from the app, not the provider: the provider's failures and retries are forgotten. */
  fromApp(): void {
    this.refresher?.reset();
  }

  /** Puts `token` in force and arms its expiry timers. */
  adopt(token: string, claims: TokenClaims): void {
    if (this.identity === '' && claims.identity !== null) this.identity = claims.identity;
    if (token === this.token) return;
    this.token = token;
    this.arm();
  }

  /** The server said the token expires at `expiresAt` (its `tokenAboutToExpire` notice). */
  noticed(expiresAt: number): void {
    this.announceAboutToExpire(this.token, expiresAt);
  }

  /** The connection was denied: the token counts as expired, and the provider is asked for another. */
  denied(): void {
    this.announceExpired(this.token);
    this.refresher?.trigger('denied');
  }

  /** Shutdown begins: no provider call from now on. */
  stop(): void {
    this.refresher?.dispose();
  }

  /** Shutdown ends: timers released, observables completed. */
  dispose(): void {
    this.stop();
    this.timers.unsubscribe();
    this.aboutSubject.complete();
    this.expiredSubject.complete();
  }

  private arm(): void {
    this.timers.unsubscribe();
    this.timers = new Subscription();
    const token = this.token;
    const claims = decodeTokenClaims(token);
    if (claims === null || claims.exp === null) return;
    const { scheduler, leadMs } = this.config;
    const expiresAt = claims.exp * 1000;
    // Never more than half the token's life: a 3-minute token would otherwise be refreshed at once, forever.
    const lead = claims.iat !== null && claims.exp > claims.iat ? Math.min(leadMs, ((claims.exp - claims.iat) * 1000) / 2) : leadMs;
    const at = (time: number, action: () => void): void => {
      const delay = Math.max(0, time - scheduler.now());
      if (delay <= MAX_TIMER_MS) this.timers.add(scheduler.schedule(action, delay));
    };
    at(expiresAt - lead, () => this.announceAboutToExpire(token, expiresAt));
    at(expiresAt, () => this.announceExpired(token));
  }

  private announceAboutToExpire(token: string, expiresAt: number): void {
    if (token !== this.token || this.aboutAnnouncedFor === token) return;
    this.aboutAnnouncedFor = token;
    this.config.log.info('token about to expire', { inMs: expiresAt - this.config.scheduler.now() });
    this.aboutSubject.next({ expiresAt });
    this.refresher?.trigger('tokenAboutToExpire');
  }

  private announceExpired(token: string): void {
    if (token !== this.token || this.expiredAnnouncedFor === token) return;
    this.expiredAnnouncedFor = token;
    this.config.log.info('token expired or refused');
    this.expiredSubject.next();
    this.refresher?.trigger('tokenExpired');
  }
}
