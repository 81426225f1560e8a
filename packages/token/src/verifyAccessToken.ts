import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { TokenError } from './TokenError.js';
import type { TokenAlgorithm, TokenKeys, TokenSecrets } from './TokenKeys.js';
import { TOKEN_LIMITS } from './tokenLimits.js';
import { findVerificationKeys, type VerificationKey } from './internal/findVerificationKeys.js';
import { fromJoseError } from './internal/fromJoseError.js';
import { parseToken } from './internal/parseToken.js';
import { readClock } from './internal/readClock.js';
import { readTokenKeys } from './internal/readTokenKeys.js';
import { readVerifiedClaims } from './internal/readVerifiedClaims.js';

/**
 * What a verified access token says, with claim names spelled out. Times are in seconds since the
 * Unix epoch, as in the token.
 *
 * Use `identity` to authenticate the connection and `expiresAt` to schedule the end of the session.
 *
 * @example
 * ```ts
 * import { verifyAccessToken, type VerifiedAccessToken } from '@rx-conversations/token';
 *
 * const verified: VerifiedAccessToken = await verifyAccessToken(token, { SKxxx: secret });
 * console.log(`${verified.identity} until ${new Date(verified.expiresAt * 1000).toISOString()}`);
 * ```
 */
export interface VerifiedAccessToken {
  /** `grants.identity`: who the token authenticates. */
  readonly identity: string;
  /** The id of the key that verified the token: header `kid`, or else payload `iss`. */
  readonly keyId: string;
  /** `sub`: the account id (`AC…`). */
  readonly accountId: string;
  /** `grants.chat.service_sid`. */
  readonly serviceSid: string;
  /** `grants.chat.endpoint_id`, when present. */
  readonly endpointId?: string;
  /** `grants.chat.push_credential_sid`, when present. */
  readonly pushCredentialSid?: string;
  /** `iat`, seconds. */
  readonly issuedAt: number;
  /** `exp`, seconds. */
  readonly expiresAt: number;
  /** `nbf`, seconds, when present. */
  readonly notBefore?: number;
  /** `jti`: the token's id. */
  readonly jti: string;
  /** The algorithm that verified the signature (the configured key's). */
  readonly algorithm: TokenAlgorithm;
}

/**
 * Options of {@link verifyAccessToken}.
 *
 * @example
 * ```ts
 * import type { VerifyAccessTokenOptions } from '@rx-conversations/token';
 *
 * const options: VerifyAccessTokenOptions = { clockToleranceSeconds: 10, now: () => Date.now() };
 * ```
 */
export interface VerifyAccessTokenOptions {
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** The current time in **milliseconds** since the epoch (like `Date.now`). Default `Date.now`. */
  readonly now?: () => number;
}

// Messages below never quote the token's own strings (alg, kid, iss): they are attacker-controlled
// and end up in logs.
const SUPPORTED_ALGORITHMS: readonly string[] = ['HS256', 'ES256', 'EdDSA'];

/**
 * Verifies an access token and returns its identity and claims, or rejects with a {@link TokenError}
 * whose `code` says exactly why (TOKEN-2, TOKEN-3).
 *
 * Use it wherever a token is accepted: the server's handshake, an in-band token update, a backend
 * that receives tokens from clients. Tokens minted by Twilio's helper library with the same API key
 * secret verify (TOKEN-1).
 *
 * How it decides, in order:
 * 1. The token must be a string (`token_not_a_string`) of three base64url segments whose header and
 *    payload are JSON objects (`token_malformed`).
 * 2. `alg` must be HS256, ES256 or EdDSA; `none` and everything else is `token_algorithm_not_allowed`.
 * 3. The key is looked up by header `kid`, else by payload `iss` (`token_key_unknown`); the key's
 *    configured algorithm must equal the header's (`token_algorithm_not_allowed`). The algorithm is
 *    never taken from the token alone, which rules out algorithm confusion.
 * 4. The signature (`token_signature_invalid`), then `nbf`/`exp` with the clock tolerance
 *    (`token_not_yet_valid`, `token_expired`), `iat` not in the future, the lifetime
 *    `exp - (nbf ?? iat)` within 180 s..24 h (`token_ttl_too_short`, `token_ttl_too_long`), the claims'
 *    types (`token_claims_invalid`) and the identity (`token_identity_missing`, `token_identity_invalid`).
 *
 * Misuse (bad `keys` or options) rejects with `TypeError`.
 *
 * @param token The compact JWT, as received.
 * @param keys Accepted keys: a `TokenKeys` object, or the shorthand `{ [keyId]: hs256Secret }`.
 * @param options Clock tolerance and an injectable clock.
 *
 * @example
 * ```ts
 * import { TokenError, verifyAccessToken } from '@rx-conversations/token';
 *
 * try {
 *   const { identity } = await verifyAccessToken(token, { SKxxx: apiKeySecret });
 *   accept(identity);
 * } catch (err) {
 *   if (err instanceof TokenError) reject(err.code);
 *   else throw err;
 * }
 * ```
 */
export async function verifyAccessToken(
  token: unknown,
  keys: TokenKeys | TokenSecrets,
  options: VerifyAccessTokenOptions = {},
): Promise<VerifiedAccessToken> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('`options` must be an object when given.');
  }
  const tolerance = options.clockToleranceSeconds ?? TOKEN_LIMITS.defaultClockToleranceSeconds;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError('`clockToleranceSeconds` must be a finite number of seconds, zero or more.');
  }
  const nowMs = readClock(options.now);
  const sources = readTokenKeys(keys);

  const parsed = parseToken(token);
  const { header, payload } = parsed;
  const { alg } = header;
  if (alg.toLowerCase() === 'none' || !SUPPORTED_ALGORITHMS.includes(alg)) {
    throw new TokenError('token_algorithm_not_allowed', 'The access token algorithm is not HS256, ES256 or EdDSA.');
  }
  const keyId = header.kid ?? payload.iss;
  if (typeof keyId !== 'string' || keyId === '') {
    throw new TokenError('token_claims_invalid', 'The access token has neither a header "kid" nor a string "iss".');
  }
  const candidates = findVerificationKeys(sources, keyId);
  if (candidates.length === 0) {
    throw new TokenError('token_key_unknown', 'No key is configured for the access token\'s "kid" or "iss".');
  }
  const matching = candidates.filter((candidate) => candidate.alg === alg);
  if (matching.length === 0) {
    throw new TokenError(
      'token_algorithm_not_allowed',
      `The access token algorithm does not match its key, which verifies ${candidates.map((c) => c.alg ?? 'nothing').join(', ')} only.`,
    );
  }

  const claims = await verifyWithKeys(parsed.token, matching, {
    algorithms: [alg],
    clockTolerance: tolerance,
    currentDate: new Date(nowMs),
    requiredClaims: ['iat', 'exp'],
  });
  return readVerifiedClaims(claims, {
    keyId,
    algorithm: alg as TokenAlgorithm,
    nowSeconds: Math.floor(nowMs / 1000),
    toleranceSeconds: tolerance,
  });
}

// Several keys may share an id during a rotation: only a bad signature moves on to the next one, and
// the last bad signature is what the caller sees. `keys` is never empty here.
async function verifyWithKeys(
  token: string,
  keys: readonly VerificationKey[],
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  let badSignature: unknown;
  for (const { key } of keys) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      const mapped = fromJoseError(err);
      if (!(mapped instanceof TokenError) || mapped.code !== 'token_signature_invalid') throw mapped;
      badSignature = mapped;
    }
  }
  throw badSignature;
}
