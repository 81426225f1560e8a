import type { CryptoKey, JWK, KeyObject } from 'jose';
import type { KeySources } from './readTokenKeys.js';
import { secretBytes } from './secretBytes.js';

/** A configured key and the one algorithm it may verify (`undefined`: none we support). */
export interface VerificationKey {
  readonly alg: string | undefined;
  readonly key: Uint8Array | CryptoKey | KeyObject | JWK;
}

// A JWK without "alg" gets the algorithm its curve implies; RSA and other curves get none, so a token
// for them is refused as algorithm_not_allowed rather than verified with a guessed algorithm.
function jwkAlgorithm(jwk: JWK): string | undefined {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

function verifiesSignatures(jwk: JWK): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false;
  return true;
}

/**
 * Every configured key registered under `keyId`, each with the algorithm fixed by its configuration
 * (never by the token). Own properties only, so ids like `constructor` or `__proto__` find nothing.
 */
export function findVerificationKeys(sources: KeySources, keyId: string): VerificationKey[] {
  const found: VerificationKey[] = [];
  if (Object.hasOwn(sources.secrets, keyId)) {
    found.push({ alg: 'HS256', key: secretBytes(sources.secrets[keyId], `The secret of key "${keyId}"`) });
  }
  if (Object.hasOwn(sources.publicKeys, keyId)) {
    const entry = sources.publicKeys[keyId];
    if (entry !== undefined) found.push({ alg: entry.alg, key: entry.key });
  }
  for (const jwk of sources.jwks) {
    if (jwk.kid === keyId && verifiesSignatures(jwk)) found.push({ alg: jwkAlgorithm(jwk), key: jwk });
  }
  return found;
}
