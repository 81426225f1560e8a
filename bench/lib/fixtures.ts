import type { Conversation, EventFrame, Message, User } from '@rx-conversations/protocol';

/** Deterministic entities of the synthetic workloads (PERF-1/2/3/8): same inputs, same bytes. */

/** The identity that receives the stream in PERF-2. */
export const READER = 'bench-reader';
/** The author of every synthetic message. */
export const WRITER = 'bench-writer';
/** A fixed epoch so every run produces byte-identical frames. */
export const EPOCH = Date.UTC(2025, 0, 1);

/** Sid of synthetic conversation `n` (0 is the one that holds the history). */
export function conversationSid(n: number): string {
  return `CH${n.toString(16).padStart(32, '0')}`;
}

/** A synthetic conversation as the reader sees it. */
export function conversation(n: number, messagesCount: number): Conversation {
  return {
    sid: conversationSid(n),
    uniqueName: null,
    friendlyName: `Bench conversation ${n}`,
    attributes: {},
    createdBy: WRITER,
    createdAt: EPOCH + n,
    updatedAt: EPOCH + n,
    lastMessageIndex: messagesCount > 0 ? messagesCount - 1 : null,
    lastMessageAt: messagesCount > 0 ? EPOCH + 1000 + messagesCount - 1 : null,
    messagesCount,
    participantsCount: 2,
    state: { current: 'active', updatedAt: 0 },
    timers: { inactiveAt: null, closedAt: null },
    membership: { role: 'member', roleSid: 'RL00000000000000000000000000000001', lastReadMessageIndex: messagesCount > 0 ? messagesCount - 1 : null, notificationLevel: 'default', unreadMessagesCount: 0 },
    version: 1,
  };
}

/** Message `index` of conversation `n`: real-length sids, ~360 bytes as a `messageAdded` frame. */
export function message(n: number, index: number): Message {
  return {
    sid: `IM${n.toString(16).padStart(8, '0')}${index.toString(16).padStart(24, '0')}`,
    conversationSid: conversationSid(n),
    index,
    author: WRITER,
    participantSid: null,
    type: 'text',
    lastUpdatedBy: null,
    body: `Hello, this is message ${index}.`,
    attributes: {},
    createdAt: EPOCH + 1000 + index,
    updatedAt: EPOCH + 1000 + index,
    version: 1,
    idempotencyKey: null,
  };
}

/** The `messageAdded` frame with sequence `seq` carrying `message(n, index)`. */
export function messageAddedFrame(seq: number, n: number, index: number): EventFrame<'messageAdded'> {
  return { type: 'ev', seq, prev: seq - 1, kind: 'messageAdded', data: { message: message(n, index) }, at: EPOCH + 1000 + index };
}

/** The reader's user. */
export function user(identity: string): User {
  return { identity, friendlyName: identity, attributes: {}, isOnline: true, isNotifiable: false, version: 1 };
}
