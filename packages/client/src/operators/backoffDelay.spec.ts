import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoffDelay.js';

describe('backoffDelay (STORE-13)', () => {
  const o = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 0.5 };
  it('grows exponentially from the initial delay and caps', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('jitters down by up to `jitter` of the delay', () => {
    expect(backoffDelay(2, o, () => 0.999999)).toBe(100);
    expect(backoffDelay(2, o, () => 0.5)).toBe(150);
    expect(backoffDelay(1, { ...o, jitter: 0 }, () => 0.9)).toBe(100);
  });
});
