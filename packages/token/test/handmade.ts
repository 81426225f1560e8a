// Builds tokens byte by byte, independently of the code under test, so the specs can present tokens
// our minting would never produce (other libraries' layouts, forgeries, broken claims).
import { createHmac } from 'node:crypto';
import { CompactSign, type CryptoKey, type JWK, type KeyObject } from 'jose';

/** A fixed instant: 2023-11-14T22:13:20Z. */
export const NOW = 1_700_000_000;
/** `NOW` in milliseconds, for `now: () => NOW_MS`. */
export const NOW_MS = NOW * 1000;
export const clock = (): number => NOW_MS;

export const KEY_ID = 'SKxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
export const SECRET = 'abcdefghijklmnopqrstuvwxyz012345'; // 32 bytes, like a Twilio API key secret
export const ACCOUNT_ID = 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
export const SERVICE_SID = 'ISxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';

export const b64url = (bytes: string | Uint8Array): string => Buffer.from(bytes).toString('base64url');
export const segment = (value: unknown): string => b64url(JSON.stringify(value));

/** Twilio's helper-library header. */
export const TWILIO_HEADER = { typ: 'JWT', alg: 'HS256', cty: 'twilio-fpa;v=1' };

/** A payload laid out exactly as Twilio's helper library writes it, valid at `NOW` for 1 h. */
export function twilioPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jti: `${KEY_ID}-${NOW}`,
    grants: { identity: 'alice', chat: { service_sid: SERVICE_SID } },
    iat: NOW,
    exp: NOW + 3600,
    iss: KEY_ID,
    sub: ACCOUNT_ID,
    ...overrides,
  };
}

/** HMAC-SHA256 over `header.payload` with node:crypto, the way jsonwebtoken (Twilio's helper) signs. */
export function signHs256(header: unknown, payload: unknown, secret: string | Uint8Array = SECRET): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An asymmetric signature over arbitrary header and payload, via jose's low-level JWS signer. */
export async function signWith(
  header: { alg: string } & Record<string, unknown>,
  payload: unknown,
  privateKey: CryptoKey | KeyObject | JWK,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(privateKey);
}
