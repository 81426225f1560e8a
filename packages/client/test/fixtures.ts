import type { Conversation, EventFrame, EventKind, Events, Message, Participant, User } from '@rx-conversations/protocol';

/** Test factories for wire entities and frames. */
export function conv(sid: string, over: Partial<Conversation> = {}): Conversation {
  return {
    sid,
    uniqueName: null,
    friendlyName: `name-${sid}`,
    attributes: {},
    createdBy: 'alice',
    createdAt: 1000,
    updatedAt: 1000,
    lastMessageIndex: null,
    lastMessageAt: null,
    messagesCount: 0,
    participantsCount: 1,
    state: { current: 'active', updatedAt: 1000 },
    timers: { inactiveAt: null, closedAt: null },
    membership: { role: 'admin', roleSid: 'RL00000000000000000000000000000002', lastReadMessageIndex: null, notificationLevel: 'default', unreadMessagesCount: 0 },
    version: 1,
    ...over,
  };
}

export function msg(conversationSid: string, index: number, over: Partial<Message> = {}): Message {
  return {
    sid: `${conversationSid}-m${index}`,
    conversationSid,
    index,
    author: 'bob',
    participantSid: null,
    type: 'text',
    lastUpdatedBy: null,
    body: `body ${index}`,
    attributes: {},
    createdAt: 10_000 + index,
    updatedAt: 10_000 + index,
    idempotencyKey: `key-${conversationSid}-${index}`,
    version: 1,
    ...over,
  };
}

export function participant(conversationSid: string, identity: string, over: Partial<Participant> = {}): Participant {
  return {
    sid: `${conversationSid}-p-${identity}`,
    conversationSid,
    identity,
    role: 'member',
    roleSid: over.role === 'admin' ? 'RL00000000000000000000000000000002' : 'RL00000000000000000000000000000001',
    type: 'chat',
    messagingBinding: null,
    attributes: {},
    lastReadMessageIndex: null,
    lastReadAt: null,
    joinedAt: 1000,
    updatedAt: 1000,
    version: 1,
    ...over,
  };
}

export function user(identity: string, over: Partial<User> = {}): User {
  return { identity, friendlyName: null, attributes: {}, isOnline: false, isNotifiable: false, version: 1, ...over };
}

export function ev<K extends EventKind>(seq: number, kind: K, data: Events[K]): EventFrame<K> {
  return { type: 'ev', seq, prev: seq - 1, kind, data, at: 0 };
}
