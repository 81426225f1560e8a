import type { CryptoKey, JSONWebKeySet, JWK, KeyObject } from 'jose';

/**
 * A signature algorithm this package mints and verifies: HMAC-SHA256 with a shared secret (Twilio's
 * layout), ECDSA P-256, or Ed25519 (TOKEN-1, TOKEN-3).
 *
 * Use it to type configuration that names an algorithm; anything else (including `none`) is refused.
 *
 * @example
 * ```ts
 * import type { TokenAlgorithm } from '@rx-conversations/token';
 *
 * const alg: TokenAlgorithm = 'HS256';
 * ```
 */
export type TokenAlgorithm = 'HS256' | 'ES256' | 'EdDSA';

/**
 * The asymmetric subset of {@link TokenAlgorithm}: signed with a private key, verified with a public one.
 *
 * Use it when configuring key pairs, so an issuer never has to share a secret with verifiers.
 *
 * @example
 * ```ts
 * import type { PublicKeyAlgorithm } from '@rx-conversations/token';
 *
 * const alg: PublicKeyAlgorithm = 'EdDSA';
 * ```
 */
export type PublicKeyAlgorithm = 'ES256' | 'EdDSA';

/**
 * HS256 secrets by key id (Twilio's API key sid, `SK…`): the shape of `TokenKeys.secrets` and the
 * shorthand accepted directly by `verifyAccessToken`.
 *
 * Use the shorthand when all your keys are Twilio-style API key secrets. Each secret is used as its
 * UTF-8 bytes and must be at least 32 bytes (RFC 7518 §3.2; Twilio's secrets are 32 characters).
 *
 * @example
 * ```ts
 * import type { TokenSecrets } from '@rx-conversations/token';
 *
 * const secrets: TokenSecrets = { SKxxx: process.env.API_KEY_SECRET! };
 * ```
 */
export type TokenSecrets = Readonly<Record<string, string>>;

/**
 * One public verification key and the only algorithm it may verify.
 *
 * The algorithm is fixed here, by configuration, and never taken from a token: that is what makes
 * algorithm confusion (an HS256 token "signed" with a public key's bytes) impossible (TOKEN-3).
 *
 * @example
 * ```ts
 * import { importSPKI } from 'jose';
 * import type { TokenPublicKey } from '@rx-conversations/token';
 *
 * const entry: TokenPublicKey = { alg: 'ES256', key: await importSPKI(pem, 'ES256') };
 * ```
 */
export interface TokenPublicKey {
  /** The algorithm this key verifies; a token whose header says otherwise is refused. */
  readonly alg: PublicKeyAlgorithm;
  /** A public `CryptoKey`, a Node `KeyObject`, or a public JWK. */
  readonly key: CryptoKey | KeyObject | JWK;
}

/**
 * Every key `verifyAccessToken` accepts, by key id (TOKEN-3).
 *
 * A token is matched by its header `kid` when present, otherwise by its payload `iss` (Twilio's tokens
 * carry the API key sid in `iss` and no `kid`). One id may appear in several sources (for example an
 * HS256 secret and an ES256 key during a migration); the token's `alg` then picks among them, and each
 * key only ever verifies with its own algorithm.
 *
 * - `secrets`: HS256 secrets by key id.
 * - `publicKeys`: ES256 / EdDSA public keys by key id.
 * - `jwks`: a JSON Web Key Set; each key is found by its `kid`, its algorithm is its `alg` or, absent
 *   that, follows from its curve (`P-256` → ES256, `Ed25519` → EdDSA). Keys with `use` other than
 *   `sig`, or `key_ops` without `verify`, are ignored. Symmetric (`oct`) keys are refused: put secrets
 *   in `secrets`.
 *
 * @example
 * ```ts
 * import type { TokenKeys } from '@rx-conversations/token';
 *
 * const keys: TokenKeys = {
 *   secrets: { SKxxx: apiKeySecret },
 *   jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: 'issuer-2025' }] },
 * };
 * ```
 */
export interface TokenKeys {
  readonly secrets?: TokenSecrets;
  readonly publicKeys?: Readonly<Record<string, TokenPublicKey>>;
  readonly jwks?: JSONWebKeySet;
}
