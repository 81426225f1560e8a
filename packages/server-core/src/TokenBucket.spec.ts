import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from './TokenBucket.js';

describe('TokenBucket (SRV-5)', () => {
  it('SRV-5: grants the burst at once, then says how long to wait, then refills at the rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(10_000)).toBe(0);
    // Never more than the burst, however long it was idle.
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([0, 0, 100]);
  });

  it('SRV-5: a clock that goes backwards does not mint tokens', () => {
    const bucket = new TokenBucket(10, 1, 1000);
    expect(bucket.take(1000)).toBe(0);
    expect(bucket.take(0)).toBeGreaterThan(0);
  });
});
