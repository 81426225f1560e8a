import type { JWTPayload } from 'jose';
import { TokenError } from '../TokenError.js';
import type { TokenAlgorithm } from '../TokenKeys.js';
import { TOKEN_LIMITS } from '../tokenLimits.js';
import type { VerifiedAccessToken } from '../verifyAccessToken.js';
import { identityProblem } from './identityProblem.js';
import { isRecord } from './isRecord.js';

interface VerificationContext {
  readonly keyId: string;
  readonly algorithm: TokenAlgorithm;
  readonly nowSeconds: number;
  readonly toleranceSeconds: number;
}

function claimsInvalid(reason: string): TokenError {
  return new TokenError('token_claims_invalid', `The access token claims are invalid: ${reason}.`);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw claimsInvalid(`"${name}" is not a string`);
  return value;
}

/**
 * The checks that follow a good signature and jose's `nbf`/`exp` checks: claim types, `iat` not in
 * the future, the lifetime bounds (TOKEN-2) and the identity (TOKEN-3).
 */
export function readVerifiedClaims(claims: JWTPayload, context: VerificationContext): VerifiedAccessToken {
  const { iss, sub, jti, iat, exp, nbf, grants } = claims as Record<string, unknown>;
  // jose has checked that iat and exp are present numbers and nbf a number when present.
  if (typeof iat !== 'number' || typeof exp !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) {
    throw claimsInvalid('"iat", "exp" and "nbf" must be numbers');
  }
  if (typeof iss !== 'string' || iss === '') throw claimsInvalid('"iss" is not a non-empty string');
  if (typeof sub !== 'string' || sub === '') throw claimsInvalid('"sub" is not a non-empty string');
  if (typeof jti !== 'string' || jti === '') throw claimsInvalid('"jti" is not a non-empty string');

  if (iat > context.nowSeconds + context.toleranceSeconds) {
    throw new TokenError('token_not_yet_valid', 'The access token is not valid yet ("iat" is in the future).');
  }
  const lifetime = exp - (nbf ?? iat);
  if (lifetime > TOKEN_LIMITS.maxTtlSeconds) {
    throw new TokenError(
      'token_ttl_too_long',
      `The access token lives ${lifetime} s, more than ${TOKEN_LIMITS.maxTtlSeconds} s.`,
    );
  }
  if (lifetime < TOKEN_LIMITS.minTtlSeconds) {
    throw new TokenError(
      'token_ttl_too_short',
      `The access token lives ${lifetime} s, less than ${TOKEN_LIMITS.minTtlSeconds} s.`,
    );
  }

  if (!isRecord(grants)) throw claimsInvalid('"grants" is not an object');
  const problem = identityProblem(grants.identity);
  if (problem === 'missing') {
    throw new TokenError('token_identity_missing', 'The access token has no "grants.identity".');
  }
  if (problem === 'invalid') {
    throw new TokenError(
      'token_identity_invalid',
      `"grants.identity" must be a string of 1..${TOKEN_LIMITS.maxIdentityLength} characters without control characters.`,
    );
  }
  const { chat } = grants;
  if (!isRecord(chat)) throw claimsInvalid('"grants.chat" is not an object');
  const serviceSid = chat.service_sid;
  if (typeof serviceSid !== 'string' || serviceSid === '') {
    throw claimsInvalid('"grants.chat.service_sid" is not a non-empty string');
  }
  const endpointId = optionalString(chat.endpoint_id, 'grants.chat.endpoint_id');
  const pushCredentialSid = optionalString(chat.push_credential_sid, 'grants.chat.push_credential_sid');

  return {
    identity: grants.identity as string,
    keyId: context.keyId,
    accountId: sub,
    serviceSid,
    ...(endpointId === undefined ? {} : { endpointId }),
    ...(pushCredentialSid === undefined ? {} : { pushCredentialSid }),
    issuedAt: iat,
    expiresAt: exp,
    ...(nbf === undefined ? {} : { notBefore: nbf }),
    jti,
    algorithm: context.algorithm,
  };
}
