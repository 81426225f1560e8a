export { createAccessToken } from './createAccessToken.js';
export type {
  AccessTokenClaimsOptions,
  CreateAccessTokenOptions,
  PrivateKeySigningOptions,
  SecretSigningOptions,
} from './createAccessToken.js';
export { verifyAccessToken } from './verifyAccessToken.js';
export type { VerifiedAccessToken, VerifyAccessTokenOptions } from './verifyAccessToken.js';
export { decodeAccessToken } from './decodeAccessToken.js';
export { hs256Secrets } from './hs256Secrets.js';
export type { DecodedAccessToken } from './decodeAccessToken.js';
export type { PublicKeyAlgorithm, TokenAlgorithm, TokenKeys, TokenPublicKey, TokenSecrets } from './TokenKeys.js';
export { TokenError } from './TokenError.js';
export { TOKEN_ERROR_CODES } from './tokenErrorCodes.js';
export type { TokenErrorCode } from './tokenErrorCodes.js';
export { TOKEN_LIMITS } from './tokenLimits.js';
