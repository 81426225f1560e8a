import type { User } from '@rx-conversations/protocol';
import { nextInSequence } from './internal/factorySequence.js';

/**
 * A valid protocol `User`: identity `user<n>`, friendly name `User <n>`, offline, not notifiable,
 * version 1.
 *
 * @example
 * ```ts
 * import { aUser } from '@rx-conversations/testing';
 *
 * const bob = aUser({ identity: 'bob', isOnline: true });
 * ```
 */
export function aUser(overrides: Partial<User> = {}): User {
  const n = nextInSequence('user');
  return {
    identity: `user${n}`,
    friendlyName: `User ${n}`,
    attributes: {},
    isOnline: false,
    isNotifiable: false,
    version: 1,
    ...overrides,
  };
}
