import { errors } from 'jose';
import { TokenError } from '../TokenError.js';

/**
 * Translates what `jose.jwtVerify` threw into our codes. Each jose code is mapped on purpose; errors
 * that are not jose's (a `TypeError` for a key of the wrong type, say) are configuration mistakes and
 * pass through unchanged.
 */
export function fromJoseError(err: unknown): unknown {
  if (!(err instanceof errors.JOSEError)) return err;
  switch (err.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenError('token_signature_invalid', 'The access token signature does not verify.', { cause: err });
    case 'ERR_JWT_EXPIRED':
      return new TokenError('token_expired', 'The access token has expired.', { cause: err });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = err as errors.JWTClaimValidationFailed;
      if (claim === 'nbf' && reason === 'check_failed') {
        return new TokenError('token_not_yet_valid', 'The access token is not valid yet ("nbf" is in the future).', {
          cause: err,
        });
      }
      return new TokenError('token_claims_invalid', `The access token claim "${claim}" is ${reason}.`, { cause: err });
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenError('token_algorithm_not_allowed', 'The access token algorithm is not allowed.', { cause: err });
    // We resolve keys ourselves, so jose only reports this if a resolver is ever passed; keep the
    // meaning stable anyway.
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new TokenError('token_key_unknown', 'No configured key matches the access token.', { cause: err });
    // A configured JWK jose cannot use is a configuration mistake, not a bad token.
    case 'ERR_JWK_INVALID':
    case 'ERR_JWKS_INVALID':
      return new TypeError(`A configured verification key is invalid (${err.code}).`, { cause: err });
    // Structural problems jose finds after our own parse: unknown "crit" extensions, "b64": false,
    // a payload that is not a JSON object.
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    default:
      return new TokenError('token_malformed', `The access token is malformed (${err.code}).`, { cause: err });
  }
}
