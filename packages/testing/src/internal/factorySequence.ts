/** Counters behind the entity factories, so their output is deterministic per test file. */
const counters = new Map<string, number>();

/** The next value (1, 2, …) of the named counter. */
export function nextInSequence(name: string): number {
  const n = (counters.get(name) ?? 0) + 1;
  counters.set(name, n);
  return n;
}

/** Resets every counter. */
export function resetSequences(): void {
  counters.clear();
}

/** A Twilio-like sid: prefix + 32 hex digits. */
export function sidOf(prefix: string, n: number): string {
  return prefix + n.toString(16).padStart(32, '0');
}

/** Factory timestamps: 2024-01-01T00:00:00Z plus one second per entity. */
export const FACTORY_EPOCH = Date.UTC(2024, 0, 1);

/** The sid of the default role a participant's `role` stands for (channel admin or channel user, ADMIN-4). */
export function roleSidOf(role: 'admin' | 'member'): string {
  return role === 'admin' ? 'RL00000000000000000000000000000002' : 'RL00000000000000000000000000000001';
}
