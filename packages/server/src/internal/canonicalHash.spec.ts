import { describe, expect, it } from '@jest/globals';
import { canonicalHash } from './canonicalHash.js';

describe('canonicalHash (SRV-5)', () => {
  it('SRV-5: ignores key order and undefined members, and tells different values apart', () => {
    expect(canonicalHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(canonicalHash({ b: { d: 'x', c: [1, 2] }, a: 1, e: undefined }));
    expect(canonicalHash({ a: 1 })).not.toBe(canonicalHash({ a: '1' }));
    expect(canonicalHash({ a: [1, 2] })).not.toBe(canonicalHash({ a: [2, 1] }));
    expect(canonicalHash(null)).not.toBe(canonicalHash({}));
  });
});
