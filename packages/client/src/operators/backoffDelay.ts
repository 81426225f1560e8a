/** Settings of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Upper bound of any delay. */
  readonly maxDelayMs: number;
  /** Factor between successive delays, ≥ 1. */
  readonly multiplier: number;
  /** Fraction of each delay drawn at random, 0..1: a delay `d` becomes `d × (1 − jitter × random())`. */
  readonly jitter: number;
}

/**
 * The delay before retry number `attempt` (1 = first retry): exponential from `initialDelayMs` by
 * `multiplier`, capped at `maxDelayMs`, then jittered down by up to `jitter` of itself so that
 * clients failing together do not retry together. Pure; `random` returns [0, 1).
 *
 * @example
 * backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 0 }); // 400
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.multiplier ** Math.max(0, attempt - 1));
  const draw = Math.min(1, Math.max(0, random()));
  return Math.round(base * (1 - options.jitter * draw));
}
