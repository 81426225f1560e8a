import { backoffDelay, jittered } from './backoff.js';

const config = { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5 };

describe('backoffDelay', () => {
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
    expect(jittered(1_000, 0, () => 0.9)).toBe(1_000);
  });
});
