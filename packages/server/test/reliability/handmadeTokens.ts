// Hand-built JWTs for attack tests: nothing here goes through createAccessToken, so a test can say
// exactly what an attacker would put in the header, the payload and the signature.
import { createHmac, randomBytes } from 'node:crypto';
import { KEY_ID, SECRET } from '../helpers/testKeys.js';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Seconds since the epoch, now. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A payload in the layout the server accepts (TOKEN-1), with `overrides` applied at the top level. */
export function claims(identity: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  return {
    iss: KEY_ID,
    sub: `AC${'0'.repeat(32)}`,
    jti: randomBytes(8).toString('hex'),
    iat,
    exp: iat + 3600,
    grants: identity === undefined ? { chat: { service_sid: `IS${'0'.repeat(32)}` } } : { identity, chat: { service_sid: `IS${'0'.repeat(32)}` } },
    ...overrides,
  };
}

/** `header.payload` signed with HMAC-SHA256 under `secret` (any bytes: the attacker picks them). */
export function signHs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer = SECRET): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned token: `header.payload.` with whatever header the attacker likes. */
export function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64url(header)}.${b64url(payload)}.`;
}

/** The standard header of our tokens (TOKEN-1). */
export const HS_HEADER = { alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' } as const;

/** A correctly signed token for `identity` with the test key, claims overridden as given. */
export function validHs256(identity: unknown, overrides: Record<string, unknown> = {}): string {
  return signHs256(HS_HEADER, claims(identity, overrides));
}
