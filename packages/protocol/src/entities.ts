/** A JSON value, as carried in `attributes`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A participant's role in one conversation, in short: `admin` for the channel admin role (who manages
 * the conversation and its roster), `member` for any other. `roleSid` names the exact role, whose
 * permissions the server checks (ADMIN-4).
 */
export type ParticipantRole = 'admin' | 'member';

/** Per-user notification setting of a conversation. `muted` suppresses push. */
export type NotificationLevel = 'default' | 'muted';

/**
 * A conversation's state (PARITY-1): `active`; `inactive` (idle: its inactive timer ran out, or set so;
 * a new message makes it active again); `closed` (read-only, for good).
 */
export type ConversationState = 'active' | 'inactive' | 'closed';

/** What kind of participant (PARITY-2): a chat user, or an address reached through a bridge. */
export type ParticipantType = 'chat' | 'sms' | 'whatsapp' | 'email';

/**
 * How a non-chat participant is reached (PARITY-2, Twilio's `messagingBinding`): their address, and the
 * app's own address they see messages from (`proxyAddress`; for group SMS, `projectedAddress`).
 */
export interface MessagingBinding {
  readonly address: string;
  readonly proxyAddress: string | null;
  readonly projectedAddress: string | null;
}

/** Push registration kinds. */
export type PushType = 'fcm' | 'apn';

/**
 * Every entity carries `version`, increased by one on each change. Clients merge snapshots and
 * events by version: an older version never overwrites a newer one (STORE-5). Times are epoch ms.
 */
export interface Versioned {
  readonly version: number;
}

/** The caller's own membership in a conversation, part of {@link Conversation}. */
export interface Membership {
  readonly role: ParticipantRole;
  /** The sid of the caller's conversation role (ADMIN-4). */
  readonly roleSid: string;
  readonly lastReadMessageIndex: number | null;
  readonly notificationLevel: NotificationLevel;
  /** Messages with index greater than `lastReadMessageIndex` (all messages when it is null). */
  readonly unreadMessagesCount: number;
}

/**
 * A conversation as seen by one user (the snapshot includes that user's membership). Its `version`
 * grows with every change any member's snapshot shows, members' own settings included, so it grows
 * whenever anything in this snapshot changes. `lastMessageIndex` keeps the newest index ever used, even if that message
 * was removed (indexes are never reused).
 */
export interface Conversation extends Versioned {
  readonly sid: string;
  readonly uniqueName: string | null;
  readonly friendlyName: string | null;
  readonly attributes: JsonValue;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Index of the newest message, or null if none was ever sent. */
  readonly lastMessageIndex: number | null;
  /** Time of the newest message, or null. With `createdAt`, this orders conversations by activity. */
  readonly lastMessageAt: number | null;
  readonly messagesCount: number;
  readonly participantsCount: number;
  /** The state, and when it last changed (PARITY-1). */
  readonly state: { readonly current: ConversationState; readonly updatedAt: number };
  /**
   * When the server's timers will make the conversation inactive and closed, unless a message comes
   * first (each message starts them again); null when no such timer runs.
   */
  readonly timers: { readonly inactiveAt: number | null; readonly closedAt: number | null };
  /**
   * The caller's membership. Every conversation read (including `conversations.peek`) is limited to
   * participants, so it is set in everything the server sends today; null is reserved for public reads.
   */
  readonly membership: Membership | null;
}

/** A message. `index` is per conversation, strictly increasing, never reused. */
export interface Message extends Versioned {
  readonly sid: string;
  readonly conversationSid: string;
  readonly index: number;
  readonly author: string;
  /** The author's participant sid when the message was sent; null when the author was not a participant (a backend's `system`). */
  readonly participantSid: string | null;
  /** `media` when it has attachments, `text` otherwise (Twilio's `type`). */
  readonly type: 'text' | 'media';
  /** Who last changed its body or attributes (the author, an admin, the backend's `system`); null until someone does. */
  readonly lastUpdatedBy: string | null;
  readonly body: string | null;
  readonly attributes: JsonValue;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The idempotency key the author's client sent it with (lets that client match its optimistic copy). */
  readonly idempotencyKey: string | null;
  /**
   * Files attached to the message, in the order they were given (MEDIA-2). Absent when there are none
   * (never an empty array), and absent again once the message is removed.
   */
  readonly media?: readonly Media[];
  /** The index of the message this one replies to (PARITY-3); absent for a message that replies to none. */
  readonly replyTo?: number;
  /** Reactions, one summary per emoji in the order each was first used (PARITY-3); absent when there are none. */
  readonly reactions?: readonly ReactionSummary[];
}

/** One emoji's reactions to a message (PARITY-3): how many, and the first identities who reacted (at most 3). */
export interface ReactionSummary {
  readonly emoji: string;
  readonly count: number;
  readonly identities: readonly string[];
}

/**
 * A file attached to a message (MEDIA-2). Its bytes are not in the message: fetch a signed, expiring
 * URL with `GET /v1/media/{sid}` (see `docs/server.md`, Media).
 */
export interface Media {
  /** `ME…`; the upload's sid, given to `messages.send` in `mediaSids`. */
  readonly sid: string;
  /** The declared type, checked against the bytes at upload. */
  readonly contentType: string;
  /** The file name given at upload, or null. */
  readonly filename: string | null;
  /** Bytes. */
  readonly size: number;
  /** A small JPEG or WebP made from an image at upload; absent for other files. */
  readonly preview?: MediaPreview;
}

/** The preview of an image attachment: a small image no larger than 320 × 320 pixels. */
export interface MediaPreview {
  /** `image/webp`. */
  readonly contentType: string;
  /** Pixels. */
  readonly width: number;
  /** Pixels. */
  readonly height: number;
  /** Bytes. */
  readonly size: number;
}

/** A participant of a conversation, with their read horizon. */
export interface Participant extends Versioned {
  readonly sid: string;
  readonly conversationSid: string;
  readonly identity: string;
  readonly role: ParticipantRole;
  /** The sid of the participant's conversation role (ADMIN-4). */
  readonly roleSid: string;
  /** `chat` for users of the SDK; otherwise reached through the app's bridge (PARITY-2), and `identity` is their address. */
  readonly type: ParticipantType;
  /** Null for chat participants. */
  readonly messagingBinding: MessagingBinding | null;
  readonly attributes: JsonValue;
  readonly lastReadMessageIndex: number | null;
  readonly lastReadAt: number | null;
  readonly joinedAt: number;
  readonly updatedAt: number;
}

/** A user. `isOnline` is true while the user has a live connection (reachability). */
export interface User extends Versioned {
  readonly identity: string;
  readonly friendlyName: string | null;
  readonly attributes: JsonValue;
  readonly isOnline: boolean;
  /** True when the user has at least one push registration. */
  readonly isNotifiable: boolean;
}

/** Message, participant and unread counts of a conversation for the caller (STORE-8). */
export interface ConversationCounts {
  readonly messagesCount: number;
  readonly participantsCount: number;
  readonly unreadMessagesCount: number;
}
