/**
 * The body of whatever a client's `messageAdded$` emits: a message, or an event that carries one. The
 * bench reads it structurally so it does not depend on the exact event type.
 */
export function messageBody(value: unknown): string | null | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as { body?: unknown; message?: unknown };
  if (typeof record.body === 'string' || record.body === null) return record.body;
  return record.message !== undefined ? messageBody(record.message) : undefined;
}
