import { TOKEN_LIMITS } from '../tokenLimits.js';

// C0/C1 controls and DEL, plus lone surrogates (a JSON `\ud800` escape decodes to one), which would
// make the identity impossible to encode as UTF-8 downstream.
const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;

/**
 * What is wrong with an identity, if anything: `missing` (absent or empty), `invalid` (not a string,
 * longer than 256 code points, or containing control characters), or `undefined` when it is fine.
 */
export function identityProblem(value: unknown): 'missing' | 'invalid' | undefined {
  if (value === undefined || value === null || value === '') return 'missing';
  if (typeof value !== 'string') return 'invalid';
  // Quick reject before counting code points: each code point is at most two UTF-16 units.
  if (value.length > TOKEN_LIMITS.maxIdentityLength * 2) return 'invalid';
  if ([...value].length > TOKEN_LIMITS.maxIdentityLength) return 'invalid';
  if (FORBIDDEN.test(value)) return 'invalid';
  return undefined;
}
