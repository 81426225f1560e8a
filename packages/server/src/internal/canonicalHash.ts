import { createHash } from 'node:crypto';

// Key order is not meaningful in JSON objects: a retry that serialises the same arguments with keys in
// another order must still match its first attempt.
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 of a JSON value's canonical form (sorted keys), for comparing idempotent retries. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('base64url');
}
