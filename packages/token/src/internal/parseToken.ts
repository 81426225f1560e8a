import { decodeJwt, decodeProtectedHeader } from 'jose';
import { TokenError } from '../TokenError.js';
import { TOKEN_LIMITS } from '../tokenLimits.js';
import { describeType } from './isRecord.js';

/** A compact JWS split and decoded, nothing verified yet. */
export interface ParsedToken {
  readonly token: string;
  readonly header: Readonly<Record<string, unknown>> & { readonly alg: string; readonly kid?: string };
  readonly payload: Readonly<Record<string, unknown>>;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// An empty signature is well-formed here on purpose: a stripped signature (`header.payload.`) must
// reach verification and fail as token_signature_invalid, and `alg: none` as algorithm_not_allowed.
const SIGNATURE = /^[A-Za-z0-9_-]*$/;

function malformed(reason: string, cause?: unknown): TokenError {
  return new TokenError('token_malformed', `The access token is malformed: ${reason}.`, { cause });
}

/**
 * Decodes a token's protected header and payload without verifying anything. Throws `TokenError`
 * `token_not_a_string` or `token_malformed`; never includes the token in a message.
 */
export function parseToken(token: unknown): ParsedToken {
  if (typeof token !== 'string') {
    throw new TokenError('token_not_a_string', `The access token must be a string, got ${describeType(token)}.`);
  }
  if (token.length > TOKEN_LIMITS.maxTokenChars) {
    throw malformed(`longer than ${TOKEN_LIMITS.maxTokenChars} characters`);
  }
  const parts = token.split('.');
  const [header64, payload64, signature64] = parts;
  if (
    parts.length !== 3 ||
    header64 === undefined ||
    payload64 === undefined ||
    signature64 === undefined ||
    !SEGMENT.test(header64) ||
    !SEGMENT.test(payload64) ||
    !SIGNATURE.test(signature64)
  ) {
    throw malformed('expected three base64url segments separated by dots');
  }
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (cause) {
    throw malformed('the header is not a base64url-encoded JSON object', cause);
  }
  try {
    payload = decodeJwt(token) as Record<string, unknown>;
  } catch (cause) {
    throw malformed('the payload is not a base64url-encoded JSON object', cause);
  }
  const { alg, kid } = header;
  if (typeof alg !== 'string' || alg === '') throw malformed('the header has no "alg"');
  if (kid !== undefined && typeof kid !== 'string') throw malformed('the header "kid" is not a string');
  return { token, header: { ...header, alg, kid }, payload };
}
