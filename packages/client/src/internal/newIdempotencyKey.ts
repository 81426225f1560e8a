/**
 * A fresh idempotency key (STORE-7): `crypto.randomUUID()` where available (browsers, Node ≥ 19),
 * else 128 random bits from `crypto.getRandomValues`, else `Math.random` (old runtimes; keys only
 * need to be unique per user, not secret).
 */
export function newIdempotencyKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
