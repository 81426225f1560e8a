/** The few claims the client reads from its own token, unverified (it cannot verify them anyway). */
export interface TokenClaims {
  /** `exp`, seconds since the epoch, or null when absent. */
  readonly exp: number | null;
  /** `iat`, seconds since the epoch, or null when absent. */
  readonly iat: number | null;
  /** `grants.identity`, or null when absent. */
  readonly identity: string | null;
}

function base64UrlToText(segment: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error('not base64url');
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (segment.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function parseSegment(segment: string | undefined): Record<string, unknown> | null {
  if (segment === undefined || segment === '') return null;
  const value: unknown = JSON.parse(base64UrlToText(segment));
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * Reads `exp`, `iat` and `grants.identity` from a JWT without verifying it: a tiny base64url + JSON
 * decoder instead of a JOSE library (the client bundle stays small, PERF-7). Returns null when `token`
 * is not three dot-separated segments with JSON-object header and payload.
 */
export function decodeTokenClaims(token: unknown): TokenClaims | null {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    if (parseSegment(parts[0]) === null) return null;
    const payload = parseSegment(parts[1]);
    if (payload === null) return null;
    const grants = payload['grants'];
    const identity = grants !== null && typeof grants === 'object' ? (grants as Record<string, unknown>)['identity'] : undefined;
    return { exp: numberOrNull(payload['exp']), iat: numberOrNull(payload['iat']), identity: typeof identity === 'string' ? identity : null };
  } catch {
    return null;
  }
}
