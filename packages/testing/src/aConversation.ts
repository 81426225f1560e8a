import type { Conversation, Membership } from '@rx-conversations/protocol';
import { FACTORY_EPOCH, nextInSequence, roleSidOf, sidOf } from './internal/factorySequence.js';

/** Fields to override in {@link aConversation}; `membership` merges into the default one (or is null). */
export type ConversationOverrides = Partial<Omit<Conversation, 'membership'>> & {
  readonly membership?: Partial<Membership> | null;
};

/**
 * A valid protocol `Conversation` for reducer and view tests: sid `CH…n`, version 1, timestamps one
 * second apart from 2024-01-01, the caller an admin member with nothing unread. Deterministic per
 * counter (see `resetFactories`).
 *
 * @example
 * ```ts
 * import { aConversation } from '@rx-conversations/testing';
 *
 * const general = aConversation({ friendlyName: 'General', membership: { unreadMessagesCount: 3 } });
 * const notMine = aConversation({ membership: null });
 * ```
 */
export function aConversation(overrides: ConversationOverrides = {}): Conversation {
  const n = nextInSequence('conversation');
  const { membership, ...fields } = overrides;
  const at = FACTORY_EPOCH + n * 1000;
  return {
    sid: sidOf('CH', n),
    uniqueName: null,
    friendlyName: `Conversation ${n}`,
    attributes: {},
    createdBy: 'alice',
    createdAt: at,
    updatedAt: at,
    version: 1,
    lastMessageIndex: null,
    lastMessageAt: null,
    messagesCount: 0,
    participantsCount: 1,
    state: { current: 'active', updatedAt: at },
    timers: { inactiveAt: null, closedAt: null },
    ...fields,
    membership:
      membership === null
        ? null
        : {
            lastReadMessageIndex: null,
            notificationLevel: 'default',
            unreadMessagesCount: 0,
            ...membership,
            role: membership?.role ?? 'admin',
            roleSid: membership?.roleSid ?? roleSidOf(membership?.role ?? 'admin'),
          },
  };
}
