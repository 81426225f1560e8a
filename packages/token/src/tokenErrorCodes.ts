/**
 * Every code a {@link TokenError} can carry, one per way a token can be refused (TOKEN-2, TOKEN-3).
 * The list is closed and stable: servers map each code to a response, clients to a user message.
 * `docs/tokens.md` explains each one and what to do about it.
 *
 * Use it to enumerate codes (docs, exhaustive tests, mapping tables); narrow a caught error with
 * `err instanceof TokenError` and switch on `err.code`.
 *
 * @example
 * ```ts
 * import { TOKEN_ERROR_CODES } from '@rx-conversations/token';
 *
 * const httpStatus = Object.fromEntries(TOKEN_ERROR_CODES.map((code) => [code, 401]));
 * ```
 */
export const TOKEN_ERROR_CODES = [
  'token_not_a_string',
  'token_malformed',
  'token_algorithm_not_allowed',
  'token_key_unknown',
  'token_signature_invalid',
  'token_expired',
  'token_not_yet_valid',
  'token_ttl_too_long',
  'token_ttl_too_short',
  'token_identity_missing',
  'token_identity_invalid',
  'token_claims_invalid',
] as const;

/**
 * Closed union of the codes in {@link TOKEN_ERROR_CODES}.
 *
 * Use it to type a `switch` over `TokenError.code` so the compiler flags a missing case.
 *
 * @example
 * ```ts
 * import type { TokenErrorCode } from '@rx-conversations/token';
 *
 * const mustRenew = (code: TokenErrorCode): boolean => code === 'token_expired';
 * ```
 */
export type TokenErrorCode = (typeof TOKEN_ERROR_CODES)[number];
