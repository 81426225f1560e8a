/**
 * Anything shaped like a JWT: three base64url segments joined by dots. A JWT header is a JSON object,
 * so its first segment starts with `eyJ` (`{"`); the second pattern also catches headers written with
 * other spacing, at the price of redacting a few long dotted identifiers nobody needs in a log.
 */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*|[A-Za-z0-9_-]{12,}\.[A-Za-z0-9_-]{12,}\.[A-Za-z0-9_-]{8,}/g;

/** What a token is replaced with in logs. */
export const REDACTED = '[redacted-token]';

/** Replaces every JWT-looking substring of `text` with {@link REDACTED} (CONN-9: logs never show tokens). */
export function redactTokens(text: string): string {
  return text.replace(JWT_LIKE, REDACTED);
}

/**
 * A JSON-safe copy of `value` with every string redacted, values under keys named like a token
 * replaced outright, errors reduced to name/code/message, and depth bounded. Only called when a log
 * line is actually written.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactTokens(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? '[function]' : value;
  if (depth >= 6) return '[…]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redactTokens(value.message), ...(typeof code === 'string' ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redactValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = /token|authorization|secret/i.test(key) && typeof item === 'string' ? '[redacted]' : redactValue(item, depth + 1);
  }
  return copy;
}
