const encoder = new TextEncoder();

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits). */
export const MIN_SECRET_BYTES = 32;

/**
 * The HMAC key bytes of a secret string (its UTF-8 encoding, as Twilio's helper library uses it).
 * A non-string or a secret shorter than 32 bytes is misuse: `TypeError`.
 */
export function secretBytes(secret: unknown, label: string): Uint8Array {
  if (typeof secret !== 'string') {
    throw new TypeError(`${label} must be a string.`);
  }
  const bytes = encoder.encode(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`${label} must be at least ${MIN_SECRET_BYTES} bytes long (RFC 7518 §3.2).`);
  }
  return bytes;
}
