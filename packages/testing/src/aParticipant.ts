import type { Participant } from '@rx-conversations/protocol';
import { FACTORY_EPOCH, nextInSequence, roleSidOf, sidOf } from './internal/factorySequence.js';

/**
 * A valid protocol `Participant`: sid `MB…n`, identity `user<n>`, role `member` (the channel user role), nothing read,
 * version 1, in the first `aConversation()`'s sid unless overridden.
 *
 * @example
 * ```ts
 * import { aParticipant } from '@rx-conversations/testing';
 *
 * const bob = aParticipant({ identity: 'bob', lastReadMessageIndex: 4 });
 * ```
 */
export function aParticipant(overrides: Partial<Participant> = {}): Participant {
  const n = nextInSequence('participant');
  const at = FACTORY_EPOCH + n * 1000;
  const role = overrides.role ?? 'member';
  return {
    sid: sidOf('MB', n),
    conversationSid: sidOf('CH', 1),
    identity: `user${n}`,
    type: 'chat',
    messagingBinding: null,
    attributes: {},
    lastReadMessageIndex: null,
    lastReadAt: null,
    joinedAt: at,
    updatedAt: at,
    version: 1,
    ...overrides,
    role,
    roleSid: overrides.roleSid ?? roleSidOf(role),
  };
}
