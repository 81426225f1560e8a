import type { JSONWebKeySet, JWK } from 'jose';
import type { TokenKeys, TokenPublicKey, TokenSecrets } from '../TokenKeys.js';
import { describeType, isRecord } from './isRecord.js';
import { secretBytes } from './secretBytes.js';

const SOURCES = ['secrets', 'publicKeys', 'jwks'] as const;
const PUBLIC_KEY_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA'];

/** `verifyAccessToken`'s `keys` argument checked and brought to the rich form. */
export interface KeySources {
  readonly secrets: TokenSecrets;
  readonly publicKeys: Readonly<Record<string, TokenPublicKey>>;
  readonly jwks: readonly JWK[];
}

/**
 * Accepts either the `{ [keyId]: secret }` shorthand or a `TokenKeys` object and validates it.
 * Misconfiguration is a programmer error, so it throws `TypeError` (before the token is looked at).
 */
export function readTokenKeys(keys: unknown): KeySources {
  if (!isRecord(keys)) {
    throw new TypeError(`\`keys\` must be an object (TokenKeys or { [keyId]: secret }), got ${describeType(keys)}.`);
  }
  // The rich form is recognised by a source property holding a non-string; a shorthand whose key id
  // happens to be "secrets" still maps it to a string.
  const rich = SOURCES.some((name) => Object.hasOwn(keys, name) && typeof keys[name] !== 'string');
  if (!rich) {
    return { secrets: readSecrets(keys, '`keys`'), publicKeys: {}, jwks: [] };
  }
  for (const name of Object.keys(keys)) {
    if (!(SOURCES as readonly string[]).includes(name)) {
      throw new TypeError(`\`keys.${name}\` is not a TokenKeys property (expected secrets, publicKeys or jwks).`);
    }
  }
  const { secrets, publicKeys, jwks } = keys as TokenKeys;
  return {
    secrets: secrets === undefined ? {} : readSecrets(secrets, '`keys.secrets`'),
    publicKeys: publicKeys === undefined ? {} : readPublicKeys(publicKeys),
    jwks: jwks === undefined ? [] : readJwks(jwks),
  };
}

function readSecrets(secrets: unknown, label: string): TokenSecrets {
  if (!isRecord(secrets)) throw new TypeError(`${label} must be an object of secrets by key id.`);
  for (const [keyId, secret] of Object.entries(secrets)) {
    secretBytes(secret, `The secret of key "${keyId}" in ${label}`);
  }
  return secrets as TokenSecrets;
}

function readPublicKeys(publicKeys: unknown): Readonly<Record<string, TokenPublicKey>> {
  if (!isRecord(publicKeys)) throw new TypeError('`keys.publicKeys` must be an object of { alg, key } by key id.');
  for (const [keyId, entry] of Object.entries(publicKeys)) {
    if (!isRecord(entry) || !PUBLIC_KEY_ALGORITHMS.includes(entry.alg as string) || !isRecord(entry.key)) {
      throw new TypeError(
        `\`keys.publicKeys["${keyId}"]\` must be { alg: 'ES256' | 'EdDSA', key: CryptoKey | KeyObject | JWK }.`,
      );
    }
  }
  return publicKeys as Readonly<Record<string, TokenPublicKey>>;
}

function readJwks(jwks: unknown): readonly JWK[] {
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) {
    throw new TypeError('`keys.jwks` must be a JSON Web Key Set ({ keys: [...] }).');
  }
  for (const [index, jwk] of (jwks as unknown as JSONWebKeySet).keys.entries()) {
    if (!isRecord(jwk) || typeof jwk.kty !== 'string') {
      throw new TypeError(`\`keys.jwks.keys[${index}]\` is not a JWK.`);
    }
    if (jwk.kty === 'oct') {
      throw new TypeError(`\`keys.jwks.keys[${index}]\` is a symmetric key; put HS256 secrets in \`keys.secrets\`.`);
    }
  }
  return (jwks as unknown as JSONWebKeySet).keys;
}
