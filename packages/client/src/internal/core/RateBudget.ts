/** Share of the announced rate and burst the client spends, leaving the rest as slack for network jitter. */
const SAFETY = 0.9;

/** A connection's request budget as the server announces it in `welcome` (null: no limit). */
export type RateLimit = { readonly ratePerSecond: number; readonly burst: number } | null;

/**
 * The client's copy of the server's per-connection token bucket (ROBUST-1): calls go out only while it
 * holds a token, so a burst of calls is paced instead of refused. It spends 90% of the announced rate and
 * burst: requests sent at the limit can arrive bunched after a network hiccup, and the server counts
 * arrivals. When the server refuses a call anyway, {@link refused} holds every call until its
 * `retryAfterMs`.
 *
 * @example
 * const budget = new RateBudget({ ratePerSecond: 100, burst: 200 }, scheduler.now());
 * if (budget.waitMs(scheduler.now()) === 0) budget.take(scheduler.now());
 */
export class RateBudget {
  /** Tokens per millisecond. */
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private updatedAt: number;

  constructor(limit: RateLimit, now: number) {
    this.rate = limit === null ? Infinity : (limit.ratePerSecond * SAFETY) / 1000;
    this.burst = limit === null ? Infinity : Math.max(1, Math.floor(limit.burst * SAFETY));
    this.tokens = this.burst;
    this.updatedAt = now;
  }

  /** Milliseconds until the next call may go out; 0 means now. */
  waitMs(now: number): number {
    if (now < this.updatedAt) return this.updatedAt - now;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.rate);
  }

  /** Spends one token (a call went out). */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  /** The server answered `rate_limited`: one call may go out `retryAfterMs` from now, then the pace resumes. */
  refused(now: number, retryAfterMs: number): void {
    this.tokens = 1;
    this.updatedAt = Math.max(this.updatedAt, now + retryAfterMs);
  }

  private refill(now: number): void {
    if (now <= this.updatedAt) return;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.rate);
    this.updatedAt = now;
  }
}
