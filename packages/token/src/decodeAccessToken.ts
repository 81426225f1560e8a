import { isRecord } from './internal/isRecord.js';
import { parseToken } from './internal/parseToken.js';

/**
 * The claims of an access token read **without** verifying it: each field is present only when the
 * token has it with the right type. Times are seconds since the epoch.
 *
 * @example
 * ```ts
 * import { decodeAccessToken, type DecodedAccessToken } from '@rx-conversations/token';
 *
 * const decoded: DecodedAccessToken = decodeAccessToken(token);
 * const msLeft = decoded.expiresAt === undefined ? 0 : decoded.expiresAt * 1000 - Date.now();
 * ```
 */
export interface DecodedAccessToken {
  /** Header `alg`, as written in the token. */
  readonly algorithm: string;
  /** Header `kid`, else payload `iss`. */
  readonly keyId?: string;
  readonly identity?: string;
  readonly accountId?: string;
  readonly serviceSid?: string;
  readonly endpointId?: string;
  readonly pushCredentialSid?: string;
  readonly issuedAt?: number;
  readonly expiresAt?: number;
  readonly notBefore?: number;
  readonly jti?: string;
}

function pick<T extends 'string' | 'number'>(
  value: unknown,
  type: T,
): (T extends 'string' ? string : number) | undefined {
  return typeof value === type ? (value as T extends 'string' ? string : number) : undefined;
}

/**
 * Reads a token's claims without checking its signature or times.
 *
 * Use it only where the token's own holder needs a hint, typically a client scheduling renewal from
 * `expiresAt`. Never authorise anything from its result: use `verifyAccessToken` for that.
 * Throws (synchronously) `TokenError` `token_not_a_string` for a non-string and `token_malformed`
 * when the token is not three base64url segments with a JSON-object header and payload.
 *
 * @example
 * ```ts
 * import { decodeAccessToken } from '@rx-conversations/token';
 *
 * const { expiresAt } = decodeAccessToken(token);
 * if (expiresAt !== undefined) scheduleRenewal(expiresAt * 1000 - 3 * 60_000);
 * ```
 */
export function decodeAccessToken(token: string): DecodedAccessToken {
  const { header, payload } = parseToken(token);
  const grants = isRecord(payload.grants) ? payload.grants : {};
  const chat = isRecord(grants.chat) ? grants.chat : {};
  const fields = {
    keyId: header.kid ?? pick(payload.iss, 'string'),
    identity: pick(grants.identity, 'string'),
    accountId: pick(payload.sub, 'string'),
    serviceSid: pick(chat.service_sid, 'string'),
    endpointId: pick(chat.endpoint_id, 'string'),
    pushCredentialSid: pick(chat.push_credential_sid, 'string'),
    issuedAt: pick(payload.iat, 'number'),
    expiresAt: pick(payload.exp, 'number'),
    notBefore: pick(payload.nbf, 'number'),
    jti: pick(payload.jti, 'string'),
  };
  const decoded: Record<string, unknown> = { algorithm: header.alg };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) decoded[name] = value;
  return decoded as unknown as DecodedAccessToken;
}
