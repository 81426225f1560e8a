import type { ReconnectOptions } from '../../ClientOptions.js';

/** The backoff settings {@link backoffDelay} reads. */
export type BackoffConfig = Required<Pick<ReconnectOptions, 'initialDelayMs' | 'maxDelayMs' | 'multiplier' | 'jitter'>>;

/** `delayMs` reduced by up to `jitter` of itself: `delayMs × (1 − jitter × random())`, rounded. */
export function jittered(delayMs: number, jitter: number, random: () => number): number {
  const draw = Math.min(1, Math.max(0, random()));
  return Math.round(delayMs * (1 - jitter * draw));
}

/**
 * Delay before reconnection attempt number `attempt` (1 = first retry): exponential from
 * `initialDelayMs` by `multiplier`, capped at `maxDelayMs`, then jittered so that clients dropped
 * together do not come back together (CONN-3). `random` returns [0, 1).
 *
 * @example
 * backoffDelay(1, { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5 }, () => 0); // 100
 */
export function backoffDelay(attempt: number, config: BackoffConfig, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(config.maxDelayMs, config.initialDelayMs * config.multiplier ** exponent);
  return jittered(base, config.jitter, random);
}
