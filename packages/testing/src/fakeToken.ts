import { encodeBase64url } from './internal/base64url.js';

/** Options of {@link fakeToken}. */
export interface FakeTokenOptions {
  /** Expiry, epoch seconds. Default: 2100-01-01, so the token never expires during a test. */
  readonly exp?: number;
  /** Issued-at, epoch seconds. Default: `exp - 3600`. */
  readonly iat?: number;
}

let tokenCounter = 0;

/**
 * An **unsigned** access token for `identity`, shaped like a real one (header, payload with
 * `grants.identity`, `iat`, `exp`, `jti`; Twilio layout), for a {@link FakeServer} or for client code
 * that only decodes tokens. A real server rejects it; the fake server does not check signatures.
 *
 * @example
 * ```ts
 * import { fakeToken } from '@rx-conversations/testing';
 *
 * const token = fakeToken('alice');                           // never expires
 * const shortLived = fakeToken('alice', { exp: Math.floor(Date.now() / 1000) + 60 });
 * ```
 */
export function fakeToken(identity: string, options: FakeTokenOptions = {}): string {
  const exp = options.exp ?? Math.floor(Date.UTC(2100, 0, 1) / 1000);
  const iat = options.iat ?? exp - 3600;
  tokenCounter += 1;
  const header = { alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' };
  const payload = {
    jti: `SKfake-${iat}-${tokenCounter}`,
    iss: 'SKfake',
    sub: 'ACfake',
    iat,
    exp,
    grants: { identity, chat: { service_sid: 'ISfake' } },
  };
  return `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(payload))}.${encodeBase64url('unsigned')}`;
}
