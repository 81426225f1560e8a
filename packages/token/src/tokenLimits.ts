/**
 * The numbers behind the token rules (TOKEN-2, TOKEN-3), in one frozen object.
 *
 * Use it to show the limits to users, to pick a renewal lead time, or in tests that probe the edges,
 * instead of repeating the literals.
 *
 * - `defaultTtlSeconds`: lifetime of a minted token when `ttlSeconds` is not given (1 h).
 * - `minTtlSeconds` / `maxTtlSeconds`: bounds of `exp - (nbf ?? iat)`, on minting and on verifying.
 * - `defaultClockToleranceSeconds`: skew allowed on `exp`, `nbf` and `iat` when verifying.
 * - `maxIdentityLength`: longest identity, in Unicode code points.
 * - `maxTokenChars`: longer strings are refused as `token_malformed` before any decoding.
 *
 * @example
 * ```ts
 * import { TOKEN_LIMITS, createAccessToken } from '@rx-conversations/token';
 *
 * const token = await createAccessToken({
 *   identity: 'alice',
 *   keyId: 'SKxxx',
 *   secret,
 *   ttlSeconds: TOKEN_LIMITS.maxTtlSeconds,
 * });
 * ```
 */
export const TOKEN_LIMITS = Object.freeze({
  defaultTtlSeconds: 3600,
  minTtlSeconds: 180,
  maxTtlSeconds: 86_400,
  defaultClockToleranceSeconds: 30,
  maxIdentityLength: 256,
  maxTokenChars: 8192,
} as const);
