import type { TokenErrorCode } from './tokenErrorCodes.js';

/**
 * Why an access token was refused, or could not be minted because of the TTL rules (TOKEN-2, TOKEN-3).
 *
 * Thrown (as a rejection) by `verifyAccessToken`, by `decodeAccessToken`, and by `createAccessToken`
 * for TTLs outside 180 s..24 h. Misuse of the API itself (a missing option, a secret that is not a
 * string, a malformed key configuration) throws `TypeError` instead, never a `TokenError`.
 *
 * `retryable` is always `false`: presenting the same token again cannot succeed; get a new one.
 * `message` never contains the token or its claims, so it is safe to log.
 *
 * @example
 * ```ts
 * import { TokenError, verifyAccessToken } from '@rx-conversations/token';
 *
 * try {
 *   await verifyAccessToken(token, { SKxxx: secret });
 * } catch (err) {
 *   if (err instanceof TokenError && err.code === 'token_expired') {
 *     // ask the client for a fresh token
 *   } else {
 *     throw err;
 *   }
 * }
 * ```
 */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  /** Stable code naming the failure; see `TOKEN_ERROR_CODES`. */
  readonly code: TokenErrorCode;
  /** Always `false`: the same token will be refused again. */
  readonly retryable = false as const;

  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
