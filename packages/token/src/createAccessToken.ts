import { SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { TokenError } from './TokenError.js';
import type { PublicKeyAlgorithm } from './TokenKeys.js';
import { TOKEN_LIMITS } from './tokenLimits.js';
import { identityProblem } from './internal/identityProblem.js';
import { isRecord } from './internal/isRecord.js';
import { randomHex } from './internal/randomHex.js';
import { readClock } from './internal/readClock.js';
import { secretBytes } from './internal/secretBytes.js';

/** `sub` of minted tokens when `accountId` is not given: Twilio's shape, all zeros. */
const DEFAULT_ACCOUNT_ID = `AC${'0'.repeat(32)}`;
/** `grants.chat.service_sid` of minted tokens when `serviceId` is not given. */
const DEFAULT_SERVICE_ID = `IS${'0'.repeat(32)}`;
const PUBLIC_KEY_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA'];

/**
 * What every minted token says, whatever signs it. See {@link createAccessToken}.
 *
 * @example
 * ```ts
 * import type { AccessTokenClaimsOptions } from '@rx-conversations/token';
 *
 * const claims: AccessTokenClaimsOptions = { identity: 'alice', keyId: 'SKxxx', ttlSeconds: 600 };
 * ```
 */
export interface AccessTokenClaimsOptions {
  /** `grants.identity`: 1..256 code points, no control characters. */
  readonly identity: string;
  /** `iss`: the id of the signing key (Twilio: the API key sid, `SK…`). Verifiers look the key up by it. */
  readonly keyId: string;
  /** `sub`. Default `'AC' + 32 zeros`; pass your account sid to mirror Twilio exactly. */
  readonly accountId?: string;
  /** `grants.chat.service_sid`. Default `'IS' + 32 zeros`. */
  readonly serviceId?: string;
  /** Lifetime from `iat`, integer seconds, 180..86,400. Default 3600. */
  readonly ttlSeconds?: number;
  /** `nbf`, integer seconds since the epoch, when the token must not be used before a given time. */
  readonly nbf?: number;
  /** `grants.chat.endpoint_id`. */
  readonly endpointId?: string;
  /** `grants.chat.push_credential_sid`. */
  readonly pushCredentialSid?: string;
  /** The current time in **milliseconds** since the epoch (like `Date.now`). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Sign with an HS256 shared secret (Twilio's API key secret), the layout of Twilio's AccessToken.
 *
 * @example
 * ```ts
 * import type { SecretSigningOptions } from '@rx-conversations/token';
 *
 * const signing: SecretSigningOptions = { secret: apiKeySecret };
 * ```
 */
export interface SecretSigningOptions {
  /** The API key secret; at least 32 bytes as UTF-8. */
  readonly secret: string;
  readonly algorithm?: 'HS256';
  readonly privateKey?: never;
}

/**
 * Sign with an ES256 or EdDSA private key, so verifiers only need the public key.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'jose';
 * import type { PrivateKeySigningOptions } from '@rx-conversations/token';
 *
 * const { privateKey } = await generateKeyPair('EdDSA');
 * const signing: PrivateKeySigningOptions = { privateKey, algorithm: 'EdDSA' };
 * ```
 */
export interface PrivateKeySigningOptions {
  /** A private `CryptoKey`, Node `KeyObject`, or private JWK matching `algorithm`. */
  readonly privateKey: CryptoKey | KeyObject | JWK;
  readonly algorithm: PublicKeyAlgorithm;
  readonly secret?: never;
}

/**
 * Options of {@link createAccessToken}: the claims plus exactly one way to sign.
 *
 * @example
 * ```ts
 * import type { CreateAccessTokenOptions } from '@rx-conversations/token';
 *
 * const options: CreateAccessTokenOptions = { identity: 'alice', keyId: 'SKxxx', secret: apiKeySecret };
 * ```
 */
export type CreateAccessTokenOptions = AccessTokenClaimsOptions & (SecretSigningOptions | PrivateKeySigningOptions);

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`\`${name}\` must be a non-empty string.`);
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  return value === undefined ? undefined : requireString(value, name);
}

/**
 * Mints a signed access token (JWT) for one identity, in the layout of Twilio's AccessToken with a
 * chat grant (TOKEN-1).
 *
 * Use it on your backend, after authenticating the user your own way, to hand the client a token for
 * `new ConversationsClient(token, …)`. The header is `{ alg, typ: 'JWT', cty: 'twilio-fpa;v=1' }`
 * (plus `kid` for ES256/EdDSA); the payload has `iss` (key id), `sub` (account id), `jti`, `iat`,
 * `exp`, optional `nbf`, and `grants: { identity, chat: { service_sid, endpoint_id?,
 * push_credential_sid? } }`.
 *
 * - `jti` is `${keyId}-${32 random hex digits}`: unique per token, even many in one second (TOKEN-4).
 * - `exp = iat + ttlSeconds`. The TTL and the lifetime `exp - (nbf ?? iat)` must both lie in
 *   180..86,400 s, otherwise the promise rejects with `TokenError` `token_ttl_too_short` or
 *   `token_ttl_too_long` (TOKEN-2) — the same rule `verifyAccessToken` applies.
 * - Misuse (missing or ill-typed options, an invalid identity, a secret under 32 bytes, both or
 *   neither of `secret` and `privateKey`) rejects with `TypeError`.
 *
 * @example
 * ```ts
 * import { createAccessToken } from '@rx-conversations/token';
 *
 * const token = await createAccessToken({
 *   identity: 'alice',
 *   keyId: 'SKxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
 *   secret: process.env.API_KEY_SECRET!,
 *   ttlSeconds: 3600,
 * });
 * ```
 */
export async function createAccessToken(options: CreateAccessTokenOptions): Promise<string> {
  if (!isRecord(options)) throw new TypeError('`createAccessToken` needs an options object.');
  const { identity, ttlSeconds = TOKEN_LIMITS.defaultTtlSeconds, nbf } = options;
  if (identityProblem(identity) !== undefined) {
    throw new TypeError(
      `\`identity\` must be a string of 1..${TOKEN_LIMITS.maxIdentityLength} characters without control characters.`,
    );
  }
  const keyId = requireString(options.keyId, 'keyId');
  const accountId = optionalString(options.accountId, 'accountId') ?? DEFAULT_ACCOUNT_ID;
  const serviceId = optionalString(options.serviceId, 'serviceId') ?? DEFAULT_SERVICE_ID;
  const endpointId = optionalString(options.endpointId, 'endpointId');
  const pushCredentialSid = optionalString(options.pushCredentialSid, 'pushCredentialSid');
  if (!Number.isSafeInteger(ttlSeconds)) throw new TypeError('`ttlSeconds` must be an integer number of seconds.');
  if (nbf !== undefined && !Number.isSafeInteger(nbf)) {
    throw new TypeError('`nbf` must be an integer number of seconds since the Unix epoch.');
  }
  const signing = readSigning(options);

  const iat = Math.floor(readClock(options.now) / 1000);
  const exp = iat + ttlSeconds;
  const lifetime = exp - (nbf ?? iat);
  if (ttlSeconds > TOKEN_LIMITS.maxTtlSeconds || lifetime > TOKEN_LIMITS.maxTtlSeconds) {
    throw new TokenError(
      'token_ttl_too_long',
      `An access token may live at most ${TOKEN_LIMITS.maxTtlSeconds} s (ttlSeconds ${ttlSeconds}, lifetime from nbf ${lifetime}).`,
    );
  }
  if (ttlSeconds < TOKEN_LIMITS.minTtlSeconds || lifetime < TOKEN_LIMITS.minTtlSeconds) {
    throw new TokenError(
      'token_ttl_too_short',
      `An access token must live at least ${TOKEN_LIMITS.minTtlSeconds} s (ttlSeconds ${ttlSeconds}, lifetime from nbf ${lifetime}).`,
    );
  }

  const chat: Record<string, string> = { service_sid: serviceId };
  if (endpointId !== undefined) chat.endpoint_id = endpointId;
  if (pushCredentialSid !== undefined) chat.push_credential_sid = pushCredentialSid;
  return new SignJWT({
    jti: `${keyId}-${randomHex(16)}`,
    grants: { identity, chat },
    ...(nbf === undefined ? {} : { nbf }),
    iat,
    exp,
    iss: keyId,
    sub: accountId,
  })
    .setProtectedHeader({
      alg: signing.alg,
      typ: 'JWT',
      cty: 'twilio-fpa;v=1',
      // Twilio's HS256 tokens carry no kid (verifiers use iss); asymmetric tokens name their key so
      // standard JWKS-based verifiers find it too.
      ...(signing.alg === 'HS256' ? {} : { kid: keyId }),
    })
    .sign(signing.key);
}

function readSigning(options: CreateAccessTokenOptions): {
  alg: 'HS256' | PublicKeyAlgorithm;
  key: Uint8Array | CryptoKey | KeyObject | JWK;
} {
  const { secret, privateKey, algorithm } = options as Partial<SecretSigningOptions & PrivateKeySigningOptions> & {
    algorithm?: string;
  };
  if ((secret === undefined) === (privateKey === undefined)) {
    throw new TypeError('Pass exactly one of `secret` (HS256) and `privateKey` (ES256 / EdDSA).');
  }
  if (secret !== undefined) {
    if (algorithm !== undefined && algorithm !== 'HS256') {
      throw new TypeError('A `secret` signs with HS256 only; use `privateKey` for ES256 / EdDSA.');
    }
    return { alg: 'HS256', key: secretBytes(secret, '`secret`') };
  }
  if (algorithm === undefined || !PUBLIC_KEY_ALGORITHMS.includes(algorithm)) {
    throw new TypeError("`algorithm` must be 'ES256' or 'EdDSA' when signing with `privateKey`.");
  }
  if (!isRecord(privateKey)) throw new TypeError('`privateKey` must be a CryptoKey, a KeyObject or a JWK.');
  return { alg: algorithm as PublicKeyAlgorithm, key: privateKey as CryptoKey | KeyObject | JWK };
}
