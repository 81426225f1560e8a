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

const config = { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5 };

describe('backoffDelay as the reconnection uses it (CONN-3)', () => {
  it('CONN-3: the first retry is fast and delays grow exponentially to the cap', () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, config, () => 0));
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000]);
  });

  it('CONN-3: jitter draws each delay within [base × (1 − jitter), base]', () => {
    for (let attempt = 1; attempt <= 15; attempt += 1) {
      const base = Math.min(30_000, 100 * 2 ** (attempt - 1));
      for (const draw of [0, 0.25, 0.5, 0.75, 0.999999]) {
        const delay = backoffDelay(attempt, config, () => draw);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.5));
        expect(delay).toBeLessThanOrEqual(base);
      }
    }
    expect(backoffDelay(1, config, () => 0.5)).toBe(75);
  });

  it('CONN-3: an out-of-range random source cannot push a delay outside its bounds', () => {
    expect(backoffDelay(1, config, () => -3)).toBe(100);
    expect(backoffDelay(1, config, () => 7)).toBe(50);
    expect(backoffDelay(1_000, config, () => 0)).toBe(30_000);
  });
});
