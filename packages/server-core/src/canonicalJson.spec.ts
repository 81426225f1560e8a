import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonicalJson.js';

describe('canonicalJson (SRV-5)', () => {
  it('SRV-5: ignores key order and undefined members, and tells different values apart', () => {
    expect(canonicalJson({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(canonicalJson({ b: { d: 'x', c: [1, 2] }, a: 1, e: undefined }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson(null)).not.toBe(canonicalJson({}));
  });
});
