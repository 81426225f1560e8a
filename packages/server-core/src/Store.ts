import type { PushType } from '@rx-conversations/protocol';
import type { ConversationRow, MediaRow, MessageRow, ParticipantRow, UserRow } from './rows.js';
import type { RoleRow } from './roles.js';
import type { Step } from './Step.js';

/** A push registration: what a push sender needs. */
export interface RegistrationRow {
  identity: string;
  type: PushType;
  token: string;
}

/**
 * A webhook target (ADMIN-3): the account's or the service's pre- or post-event URL, or one of a
 * conversation's post-event webhooks. `filters` is a JSON array of event names (`onMessageAdded`, …).
 */
export interface WebhookRow {
  sid: string;
  scope: 'account' | 'service' | 'conversation';
  conversation_sid: string | null;
  kind: 'pre' | 'post';
  url: string;
  method: 'GET' | 'POST';
  filters: string;
  created_at: number;
  updated_at: number;
}

/** A post-event webhook waiting to be delivered (the durable outbox). `params` is a JSON object of strings. */
export interface WebhookDeliveryRow {
  id: number;
  url: string;
  method: 'GET' | 'POST';
  params: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
}

/** A stored idempotent result. */
export interface IdempotencyRow {
  op: string;
  args_hash: string;
  result: string;
}

/**
 * Which stream an event belongs to: a conversation's (every member sees it, stored once whatever the
 * member count) or one user's (membership changes and personal settings, seen by that user only).
 */
export type EventStream = { readonly conversation: string } | { readonly user: string };

/** One durable event as stored: its frame is assembled around `payload` without parsing it. */
export interface LoggedEvent {
  /** Position in the server's one event order; gapless, and commit order equals position order. */
  readonly seq: number;
  /** The previous event of the same stream (0 for its first): lets a client see a gap in a stream. */
  readonly prev: number;
  /** The conversation for a conversation-stream event, null for a user-stream event. */
  readonly conversationSid: string | null;
  /** The user for a user-stream event, null for a conversation-stream event. */
  readonly identity: string | null;
  readonly kind: string;
  /** The event's data, serialised once. */
  readonly payload: string;
  readonly at: number;
}

/** What an event append needs; `seq` and `prev` come from the store. */
export interface NewEvent {
  readonly stream: EventStream;
  readonly kind: string;
  readonly payload: string;
  readonly at: number;
}

/**
 * Everything the core reads and writes, inside one transaction. Methods do no authorisation; the core
 * does. Each is a {@link Step}: embedded stores answer at once, networked ones yield a promise.
 *
 * The event log: {@link StoreTx.appendEvent} allocates the next position inside the write transaction,
 * so positions are gapless and visible in order. A user's view of the log is derived on read from their
 * membership intervals ({@link StoreTx.openMembership}), never written per recipient (CORE-2).
 */
export interface StoreTx {
  getConversation(sid: string): Step<ConversationRow | undefined>;
  getConversationByUniqueName(uniqueName: string): Step<ConversationRow | undefined>;
  insertConversation(row: ConversationRow): Step<void>;
  updateConversation(row: ConversationRow): Step<void>;
  /** Deletes the conversation with its participants and messages, and schedules its media for deletion at once. */
  deleteConversation(sid: string): Step<void>;

  getParticipant(conversationSid: string, identity: string): Step<ParticipantRow | undefined>;
  /** Participants in join order. */
  listParticipants(conversationSid: string): Step<ParticipantRow[]>;
  insertParticipant(row: Omit<ParticipantRow, 'id'>): Step<ParticipantRow>;
  updateParticipant(row: ParticipantRow): Step<void>;
  deleteParticipant(id: number): Step<void>;
  /** The user's memberships after keyset `afterId`, oldest first. */
  membershipsPage(identity: string, afterId: number, limit: number): Step<ParticipantRow[]>;
  /** Sids of every conversation the user belongs to (live fan-out registration). */
  conversationSidsOf(identity: string): Step<string[]>;
  /** The conversation's participants after keyset `afterId`, in join order (the admin API's pages). */
  participantsPage(conversationSid: string, afterId: number, limit: number): Step<ParticipantRow[]>;
  getParticipantBySid(sid: string): Step<ParticipantRow | undefined>;
  /** Every conversation after the keyset `(created_at, sid)`, oldest first (the admin API's pages). */
  conversationsPage(after: { readonly createdAt: number; readonly sid: string } | null, limit: number): Step<ConversationRow[]>;

  getMessage(conversationSid: string, index: number): Step<MessageRow | undefined>;
  insertMessage(row: MessageRow): Step<void>;
  /** A message of the conversation by its sid, removed ones included. */
  getMessageBySid(conversationSid: string, sid: string): Step<MessageRow | undefined>;
  updateMessage(row: MessageRow): Step<void>;
  /** Non-removed messages below `before` (exclusive), newest first. */
  messagesBefore(conversationSid: string, before: number, limit: number): Step<MessageRow[]>;
  /** Non-removed messages above `after` (exclusive), oldest first. */
  messagesAfter(conversationSid: string, after: number, limit: number): Step<MessageRow[]>;
  /** Non-removed messages by others above the horizon (all when it is null). */
  unreadCount(conversationSid: string, lastRead: number | null, identity: string): Step<number>;

  insertMedia(row: MediaRow): Step<void>;
  getMedia(sid: string): Step<MediaRow | undefined>;
  /** Attaches the media to a message: it is kept from now on (`delete_after` null). */
  attachMedia(sid: string, messageSid: string): Step<void>;
  /** Schedules every media of the message for deletion at `at` (the message was removed). */
  releaseMedia(messageSid: string, at: number): Step<void>;
  /** The conversation's non-chat participants (PARITY-2), in join order. */
  bridgedParticipants(conversationSid: string): Step<ParticipantRow[]>;
  /** Adds a reaction; false when the identity had already reacted so (PARITY-3). */
  addReaction(conversationSid: string, index: number, emoji: string, identity: string, now: number): Step<boolean>;
  /** Takes a reaction back; false when there was none. */
  removeReaction(conversationSid: string, index: number, emoji: string, identity: string): Step<boolean>;
  /** The first `limit` identities who reacted to a message with `emoji`, in the order they did. */
  firstReactors(conversationSid: string, index: number, emoji: string, limit: number): Step<string[]>;
  /** The identity's reactions to messages `fromIndex` to `toIndex` (inclusive). */
  reactionsBy(conversationSid: string, identity: string, fromIndex: number, toIndex: number): Step<Array<{ idx: number; emoji: string }>>;
  /** Deletes every reaction to a message (it was removed). */
  deleteReactions(conversationSid: string, index: number): Step<void>;
  /** Up to `limit` live replies to message `parent` with index above `after`, oldest first. */
  repliesAfter(conversationSid: string, parent: number, after: number, limit: number): Step<MessageRow[]>;
  /** Up to `limit` live replies to message `parent` with index below `before`, newest first. */
  repliesBefore(conversationSid: string, parent: number, before: number, limit: number): Step<MessageRow[]>;
  /** Up to `limit` conversations whose inactive or closed timer has run out at `now` (PARITY-1). */
  dueConversationStates(now: number, limit: number): Step<ConversationRow[]>;
  /** Bytes of every media the user uploaded that is still stored (their quota's use). */
  mediaBytesOf(identity: string): Step<number>;
  /** Deletes up to `limit` media rows whose `delete_after` is at or before `now`, and returns them. */
  takeExpiredMedia(now: number, limit: number): Step<MediaRow[]>;

  getUser(identity: string): Step<UserRow | undefined>;
  /** The user's row, created on first sight (with `sid`; an existing row keeps its own). */
  ensureUser(identity: string, now: number, sid: string): Step<UserRow>;
  getUserBySid(sid: string): Step<UserRow | undefined>;
  /** Users after `afterIdentity` in identity order (the admin API's pages). */
  usersPage(afterIdentity: string | null, limit: number): Step<UserRow[]>;
  updateUser(row: UserRow): Step<void>;
  /** Marks a change of state kept outside the row (reachability, push): clients compare versions. */
  bumpUserVersion(identity: string): Step<void>;

  upsertRegistration(identity: string, type: PushType, token: string, now: number): Step<void>;
  /** True when a registration was deleted. */
  deleteRegistration(identity: string, type: PushType, token: string): Step<boolean>;
  countRegistrations(identity: string): Step<number>;
  /** Registrations of the conversation's participants other than `author`, unless muted. */
  pushTargets(conversationSid: string, author: string): Step<RegistrationRow[]>;

  getIdempotency(identity: string, key: string): Step<IdempotencyRow | undefined>;
  insertIdempotency(identity: string, key: string, op: string, argsHash: string, result: string, now: number): Step<void>;

  /** The custom roles, and the default roles the app changed (ADMIN-4); the core adds the untouched defaults. */
  listRoles(): Step<RoleRow[]>;
  /** Inserts or replaces the role with this sid. */
  putRole(row: RoleRow): Step<void>;
  deleteRole(sid: string): Step<void>;
  /** How many participants and users hold the role. */
  countRoleHolders(sid: string): Step<number>;
  /** The service's settings (the default role sids), as key and value. */
  listSettings(): Step<Array<{ key: string; value: string }>>;
  putSetting(key: string, value: string): Step<void>;

  /** The webhooks of `kind` that apply to a conversation (its own, the service's and the account's), or to account-wide events (null). */
  webhookTargets(conversationSid: string | null, kind: 'pre' | 'post'): Step<WebhookRow[]>;
  /** The webhooks of one scope (a conversation's, with its sid), oldest first. */
  listWebhooks(scope: WebhookRow['scope'], conversationSid: string | null): Step<WebhookRow[]>;
  getWebhook(sid: string): Step<WebhookRow | undefined>;
  /** Inserts or replaces the webhook with this sid. */
  putWebhook(row: WebhookRow): Step<void>;
  deleteWebhook(sid: string): Step<void>;
  /** Queues post-event deliveries in the write's transaction: they exist exactly when the change does. */
  enqueueDeliveries(rows: ReadonlyArray<Omit<WebhookDeliveryRow, 'id'>>): Step<void>;
  /**
   * Up to `limit` deliveries due at `now`, oldest first, each leased until `leaseUntil` so that no
   * other node takes it meanwhile (a node that dies mid-delivery lets the lease lapse).
   */
  claimDeliveries(now: number, leaseUntil: number, limit: number): Step<WebhookDeliveryRow[]>;
  /** Delivered (or given up): the delivery leaves the outbox. */
  deleteDelivery(id: number): Step<void>;
  /** Failed: tried again at `nextAttemptAt`. */
  retryDelivery(id: number, attempts: number, nextAttemptAt: number): Step<void>;

  /** Appends one event to the log at the next position. */
  appendEvent(event: NewEvent): Step<LoggedEvent>;
  /** The user sees the conversation's events after position `fromSeq` (exclusive). */
  openMembership(identity: string, conversationSid: string, fromSeq: number): Step<void>;
  /** The user's open interval on the conversation ends at `toSeq` (inclusive). */
  closeMembership(identity: string, conversationSid: string, toSeq: number): Step<void>;
  /** The newest position in the log (0 before any event). */
  headSeq(): Step<number>;
  /**
   * Every event the user may see after `afterSeq`, in order: their user stream plus each conversation's
   * stream within their membership intervals. Null when retention already dropped events after
   * `afterSeq` (the client must resync).
   */
  eventsFor(identity: string, afterSeq: number): Step<LoggedEvent[] | null>;
  /**
   * Up to `limit` events of every stream after `afterSeq`, in order: how a node catches up on events
   * other nodes wrote (several nodes). Null when retention already dropped events after `afterSeq`.
   */
  eventsAfter(afterSeq: number, limit: number): Step<LoggedEvent[] | null>;
}

/** Retention bounds of the event log (SRV-4). */
export interface RetentionLimits {
  /** Events kept in the log (all users' together). */
  readonly maxEvents: number;
  /** Age after which events are dropped. */
  readonly maxAgeMs: number;
}

/**
 * A storage adapter (CORE-1): SQLite, PostgreSQL or memory. `write` runs its body as one transaction
 * that commits when the body returns and rolls back when it throws; `read` sees one consistent state.
 */
export interface Store {
  /** True when every step answers at once (the core then runs each op in one synchronous turn). */
  readonly synchronous: boolean;
  write<R>(body: (tx: StoreTx) => Step<R>): Step<R>;
  read<R>(body: (tx: StoreTx) => Step<R>): Step<R>;
  /** Drops events, idempotency keys and push registrations past their retention. */
  prune(now: number, limits: { readonly events: RetentionLimits; readonly idempotencyTtlMs: number; readonly registrationIdleMs: number }): Step<void>;
}
