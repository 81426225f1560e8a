/**
 * `bytes` cryptographically strong random bytes as lowercase hex. Uses Web Crypto
 * (`globalThis.crypto`), present in browsers and Node 20+.
 */
export function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  let hex = '';
  for (const byte of buffer) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
