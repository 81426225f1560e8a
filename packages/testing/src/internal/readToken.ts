import type { ErrorCode } from '@rx-conversations/protocol';
import { decodeBase64url } from './base64url.js';

/** What the fake server needs from a token: who it is for and until when (epoch ms). */
export type TokenReading =
  | { readonly ok: true; readonly identity: string; readonly expiresAt: number }
  | { readonly ok: false; readonly code: ErrorCode };

const NO_EXPIRY = Date.UTC(2100, 0, 1);

/**
 * Reads `grants.identity` and `exp` from a JWT **without verifying its signature**: the fake trusts
 * whoever holds a token, which is the point of a test double. Times are checked against `now`.
 */
export function readToken(token: unknown, now: number): TokenReading {
  if (typeof token !== 'string') return { ok: false, code: 'token_not_a_string' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return { ok: false, code: 'token_malformed' };
  let payload: unknown;
  try {
    payload = JSON.parse(decodeBase64url(parts[1]));
  } catch {
    return { ok: false, code: 'token_malformed' };
  }
  if (payload === null || typeof payload !== 'object') return { ok: false, code: 'token_malformed' };
  const { grants, exp } = payload as { grants?: { identity?: unknown }; exp?: unknown };
  const identity = grants?.identity;
  if (identity === undefined) return { ok: false, code: 'token_identity_missing' };
  if (typeof identity !== 'string' || identity === '' || identity.length > 256) return { ok: false, code: 'token_identity_invalid' };
  const expiresAt = typeof exp === 'number' ? exp * 1000 : NO_EXPIRY;
  if (expiresAt <= now) return { ok: false, code: 'token_expired' };
  return { ok: true, identity, expiresAt };
}
