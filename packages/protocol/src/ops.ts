import type {
  Conversation,
  ConversationCounts,
  ConversationState,
  JsonValue,
  Message,
  NotificationLevel,
  Participant,
  ParticipantRole,
  PushType,
  User,
} from './entities.js';

/** A page of conversations. `asOfSeq` is the caller's log head when the page was read (CONN-5). */
export interface ConversationsPage {
  readonly items: readonly Conversation[];
  readonly nextCursor: string | null;
  readonly asOfSeq: number;
}

/** A page of messages, ascending by index. `hasMore` says whether more exist in the paging direction. */
export interface MessagesPage {
  readonly items: readonly Message[];
  readonly hasMore: boolean;
  readonly asOfSeq: number;
  /** The caller's own reactions on the page's messages, by index (PARITY-3); absent when there are none. */
  readonly myReactions?: Readonly<Record<number, readonly string[]>>;
}

/** Addresses a conversation by sid or by unique name. */
/**
 * The state timers (PARITY-1), as ISO 8601 durations (`PT10M`, `P1D`): how long without a new message
 * before the conversation becomes inactive (at least a minute), and closed (at least ten minutes).
 * Null stops a timer; absent leaves it as it is.
 */
export interface ConversationTimerDurations {
  readonly inactive?: string | null;
  readonly closed?: string | null;
}

export type ConversationRef = { readonly sid: string } | { readonly uniqueName: string };

/**
 * Every operation a client may request: its arguments and its result. Writes accept an optional
 * `idempotencyKey`; repeating a write with the same key returns the first result and has no second
 * effect (SRV-5, STORE-7). `messages.send` requires one.
 */
export interface Ops {
  'conversations.list': { args: { pageSize?: number; cursor?: string }; result: ConversationsPage };
  'conversations.get': { args: ConversationRef; result: Conversation };
  'conversations.peek': { args: ConversationRef; result: Conversation };
  'conversations.create': {
    args: { friendlyName?: string; uniqueName?: string; attributes?: JsonValue; state?: ConversationState; timers?: ConversationTimerDurations; idempotencyKey?: string };
    result: Conversation;
  };
  'conversations.update': {
    args: {
      sid: string;
      friendlyName?: string | null;
      uniqueName?: string | null;
      attributes?: JsonValue;
      /** `closed` is final: a closed conversation cannot change state again (`state_change_invalid`). */
      state?: ConversationState;
      timers?: ConversationTimerDurations;
      idempotencyKey?: string;
    };
    result: Conversation;
  };
  'conversations.delete': { args: { sid: string; idempotencyKey?: string }; result: { sid: string } };
  'conversations.join': { args: ConversationRef & { idempotencyKey?: string }; result: Conversation };
  'conversations.leave': { args: { sid: string; idempotencyKey?: string }; result: { sid: string } };
  'conversations.setNotificationLevel': { args: { sid: string; level: NotificationLevel }; result: Conversation };
  /** `mode: 'advance'` never moves the horizon backwards; `'set'` sets it (null = nothing read). */
  'conversations.setLastRead': {
    args: { sid: string; index: number | null; mode: 'advance' | 'set' };
    result: Conversation;
  };
  'conversations.counts': { args: { sid: string }; result: ConversationCounts };
  /** Relays a typing signal to the other participants; not persisted. */
  'conversations.typing': { args: { sid: string }; result: null };
  'participants.list': { args: { sid: string }; result: { items: readonly Participant[]; asOfSeq: number } };
  'participants.add': {
    args: { sid: string; identity: string; role?: ParticipantRole; roleSid?: string; attributes?: JsonValue; idempotencyKey?: string };
    result: Participant;
  };
  'participants.remove': { args: { sid: string; identity: string; idempotencyKey?: string }; result: { identity: string } };
  'participants.update': {
    args: { sid: string; identity: string; role?: ParticipantRole; roleSid?: string; attributes?: JsonValue; idempotencyKey?: string };
    result: Participant;
  };
  /** Without `anchor`: the newest page (backwards) or the oldest (forwards). Anchor is exclusive. */
  'messages.list': {
    args: { sid: string; pageSize?: number; anchor?: number; direction?: 'backwards' | 'forwards' };
    result: MessagesPage;
  };
  'messages.send': {
    /** `mediaSids`: uploads of the caller to this conversation to attach, in order (MEDIA-1). */
    args: { sid: string; body?: string | null; attributes?: JsonValue; mediaSids?: string[]; replyTo?: number; idempotencyKey: string };
    result: Message;
  };
  /** Adds the caller's reaction (one emoji) to a message; again is no change (PARITY-3). */
  'messages.react': { args: { sid: string; index: number; emoji: string; idempotencyKey?: string }; result: Message };
  /** Takes the caller's reaction back; one not there is no change. */
  'messages.unreact': { args: { sid: string; index: number; emoji: string; idempotencyKey?: string }; result: Message };
  /** A page of the replies to the message at `index`, like `messages.list` (PARITY-3). */
  'messages.thread': {
    args: { sid: string; index: number; pageSize?: number; anchor?: number; direction?: 'backwards' | 'forwards' };
    result: MessagesPage;
  };
  'messages.update': {
    args: { sid: string; index: number; body?: string | null; attributes?: JsonValue; idempotencyKey?: string };
    result: Message;
  };
  'messages.remove': { args: { sid: string; index: number; idempotencyKey?: string }; result: { index: number } };
  'users.get': { args: { identity: string }; result: User };
  /** Adds identities to this connection's watch set: their `userUpdated` signals follow. */
  'users.subscribe': { args: { identities: string[] }; result: { items: readonly User[] } };
  'users.unsubscribe': { args: { identities: string[] }; result: null };
  'users.updateMe': { args: { friendlyName?: string | null; attributes?: JsonValue }; result: User };
  'push.register': { args: { type: PushType; token: string }; result: { registeredAt: number } };
  'push.unregister': { args: { type: PushType; token: string }; result: null };
  /** Swaps the connection's token in place (CONN-7). Must be for the same identity. */
  'token.update': { args: { token: string }; result: { expiresAt: number } };
}

/** Name of an operation. */
export type OpName = keyof Ops;
/** Arguments of operation `O`. */
export type OpArgs<O extends OpName> = Ops[O]['args'];
/** Result of operation `O`. */
export type OpResult<O extends OpName> = Ops[O]['result'];

/** Every operation name, for iteration and validation. */
export const OP_NAMES = [
  'conversations.list',
  'conversations.get',
  'conversations.peek',
  'conversations.create',
  'conversations.update',
  'conversations.delete',
  'conversations.join',
  'conversations.leave',
  'conversations.setNotificationLevel',
  'conversations.setLastRead',
  'conversations.counts',
  'conversations.typing',
  'participants.list',
  'participants.add',
  'participants.remove',
  'participants.update',
  'messages.list',
  'messages.send',
  'messages.update',
  'messages.remove',
  'messages.react',
  'messages.unreact',
  'messages.thread',
  'users.get',
  'users.subscribe',
  'users.unsubscribe',
  'users.updateMe',
  'push.register',
  'push.unregister',
  'token.update',
] as const satisfies readonly OpName[];
