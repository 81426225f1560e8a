/**
 * Reads an injected clock (`() => milliseconds since the epoch`, like `Date.now` or an RxJS
 * scheduler's `now`), defaulting to the system clock. Misuse is a `TypeError`.
 */
export function readClock(now: unknown): number {
  if (now === undefined) return Date.now();
  if (typeof now !== 'function') {
    throw new TypeError('`now` must be a function returning milliseconds since the Unix epoch.');
  }
  const ms: unknown = now();
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError('`now()` must return a finite number of milliseconds since the Unix epoch.');
  }
  return ms;
}
