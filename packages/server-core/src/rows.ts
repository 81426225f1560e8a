import { DEFAULT_ROLE_SIDS } from './roles.js';
import type { MessagingBinding, ParticipantType, ReactionSummary, ConversationState, Conversation, JsonValue, Media, Message, Participant, ParticipantRole, NotificationLevel, User } from '@rx-conversations/protocol';

/** A `conversations` row. */
export interface ConversationRow {
  sid: string;
  unique_name: string | null;
  friendly_name: string | null;
  attributes: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  version: number;
  last_message_index: number | null;
  last_message_at: number | null;
  messages_count: number;
  participants_count: number;
  /** PARITY-1: `active`, `inactive` or `closed`, and since when. */
  state: ConversationState;
  state_updated_at: number;
  /** The timers' durations in ms (null: no timer), and when they run out (null: not running). */
  timer_inactive_ms: number | null;
  timer_closed_ms: number | null;
  inactive_at: number | null;
  closed_at: number | null;
}

/** A `participants` row; `id` is the keyset of `conversations.list`. */
export interface ParticipantRow {
  id: number;
  sid: string;
  conversation_sid: string;
  identity: string;
  /** The sid of the participant's conversation role (ADMIN-4). */
  role: string;
  /** PARITY-2: `chat`, or a bridged kind whose `identity` is the address and `binding` a JSON `MessagingBinding`. */
  type: ParticipantType;
  binding: string | null;
  attributes: string;
  notification_level: NotificationLevel;
  last_read_message_index: number | null;
  last_read_at: number | null;
  joined_at: number;
  updated_at: number;
  version: number;
}

/** A `messages` row. */
export interface MessageRow {
  conversation_sid: string;
  idx: number;
  sid: string;
  author: string;
  body: string | null;
  attributes: string;
  created_at: number;
  updated_at: number;
  version: number;
  removed: number;
  idempotency_key: string | null;
  /** The attachments as a JSON `Media[]`, or null when there are none (MEDIA-2). */
  media: string | null;
  /** The author's participant sid when sent, or null (PARITY-3). */
  participant_sid: string | null;
  /** Who last changed its body or attributes, or null (PARITY-3). */
  last_updated_by: string | null;
  /** The index of the message it replies to, or null (PARITY-3). */
  reply_to: number | null;
  /** The reaction summaries as a JSON `ReactionSummary[]`, or null when there are none (PARITY-3). */
  reactions: string | null;
}

/**
 * A `media` row: one stored upload (MEDIA-3), attached to a message or waiting to be. Its bytes live in
 * the server's media storage under its sid (and its preview under `sid + '.preview'`).
 */
export interface MediaRow {
  sid: string;
  conversation_sid: string;
  /** The uploader: the only one who may attach it. */
  author: string;
  content_type: string;
  filename: string | null;
  size: number;
  /** The preview as a JSON `MediaPreview`, or null. */
  preview: string | null;
  created_at: number;
  /** The message it is attached to, or null while it waits. */
  message_sid: string | null;
  /**
   * When the sweeper deletes it (MEDIA-4): the upload's time plus the grace time while unattached,
   * null once attached, the removal time once its message or conversation is removed.
   */
  delete_after: number | null;
}

/** A `users` row. */
export interface UserRow {
  identity: string;
  /** `US…`: the user's sid in the admin REST API. */
  sid: string;
  friendly_name: string | null;
  attributes: string;
  version: number;
  created_at: number;
  /** The sid of the user's service role; null for the service's default (ADMIN-4). */
  role_sid: string | null;
}

const parse = (json: string): JsonValue => JSON.parse(json) as JsonValue;

/** A conversation role in short: `admin` for the channel admin role, `member` for any other. */
const roleName = (roleSid: string): ParticipantRole => (roleSid === DEFAULT_ROLE_SIDS.channelAdmin ? 'admin' : 'member');

/** The attributes to store when an update gives `given` over `stored`; undefined when they stay as they are. */
export function changedAttributes(given: JsonValue | undefined, stored: string): string | undefined {
  if (given === undefined) return undefined;
  const serialised = JSON.stringify(given);
  return serialised === stored ? undefined : serialised;
}

/**
 * A conversation as one participant sees it (`member`), or its shared fields only (`member` null: the
 * `conversationUpdated` every participant receives, serialised once). The version is the row's, which
 * grows with every change any snapshot shows, members' own settings included.
 */
export function toConversation(row: ConversationRow, member: ParticipantRow | null, unreadMessagesCount: number): Conversation {
  return {
    sid: row.sid,
    uniqueName: row.unique_name,
    friendlyName: row.friendly_name,
    attributes: parse(row.attributes),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastMessageIndex: row.last_message_index,
    lastMessageAt: row.last_message_at,
    messagesCount: row.messages_count,
    participantsCount: row.participants_count,
    state: { current: row.state, updatedAt: row.state_updated_at },
    timers: { inactiveAt: row.inactive_at, closedAt: row.closed_at },
    version: row.version,
    membership:
      member === null
        ? null
        : {
            role: roleName(member.role),
            roleSid: member.role,
            lastReadMessageIndex: member.last_read_message_index,
            notificationLevel: member.notification_level,
            unreadMessagesCount,
          },
  };
}

/** A participant entity. */
export function toParticipant(row: ParticipantRow): Participant {
  return {
    sid: row.sid,
    conversationSid: row.conversation_sid,
    identity: row.identity,
    role: roleName(row.role),
    roleSid: row.role,
    type: row.type,
    messagingBinding: row.binding === null ? null : (JSON.parse(row.binding) as MessagingBinding),
    attributes: parse(row.attributes),
    lastReadMessageIndex: row.last_read_message_index,
    lastReadAt: row.last_read_at,
    joinedAt: row.joined_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** A message entity. */
export function toMessage(row: MessageRow): Message {
  return {
    sid: row.sid,
    conversationSid: row.conversation_sid,
    index: row.idx,
    author: row.author,
    participantSid: row.participant_sid,
    type: row.media === null ? 'text' : 'media',
    lastUpdatedBy: row.last_updated_by,
    body: row.body,
    attributes: parse(row.attributes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    idempotencyKey: row.idempotency_key,
    ...(row.media === null ? {} : { media: JSON.parse(row.media) as Media[] }),
    ...(row.reply_to === null ? {} : { replyTo: row.reply_to }),
    ...(row.reactions === null ? {} : { reactions: JSON.parse(row.reactions) as ReactionSummary[] }),
  };
}

/** The attachment a media row describes. */
export function toMedia(row: MediaRow): Media {
  return {
    sid: row.sid,
    contentType: row.content_type,
    filename: row.filename,
    size: row.size,
    ...(row.preview === null ? {} : { preview: JSON.parse(row.preview) as NonNullable<Media['preview']> }),
  };
}

/** A user entity; reachability and push state come from outside the row. */
export function toUser(row: UserRow, isOnline: boolean, isNotifiable: boolean): User {
  return {
    identity: row.identity,
    friendlyName: row.friendly_name,
    attributes: parse(row.attributes),
    isOnline,
    isNotifiable,
    version: row.version,
  };
}
