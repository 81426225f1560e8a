// Public API of @rx-conversations/client. Explicit names only (STYLE: never `export *`).

// ── the client ──
export { ConversationsClient } from './ConversationsClient.js';
export type { ConversationsClientOptions } from './ConversationsClient.js';
export { ConversationHandle } from './ConversationHandle.js';
export type { LoadResult, MessagesWindowState, SendMessageOptions } from './ConversationHandle.js';
export { UserHandle } from './UserHandle.js';
export { ParticipantHandle } from './ParticipantHandle.js';
export type { FailedMessage, LocalMedia, MediaProgress, MessageStatus, MessageView, ReactionView, SendingMessage, SentMessage } from './MessageView.js';
export type { Paginator } from './Paginator.js';
export type {
  ConversationUpdatedEvent,
  Discontinuity,
  MessageRemovedEvent,
  MessageUpdatedEvent,
  ParticipantLeftEvent,
  ParticipantUpdatedEvent,
  TypingEvent,
  UserUpdatedEvent,
} from './ClientEvents.js';
export type { SynchronizationStatus } from './SynchronizationStatus.js';
export type { ClientPersistence } from './persistence/ClientPersistence.js';
export type { TabSharing } from './tabs/TabSharing.js';

// ── media (MEDIA-1, MEDIA-2) ──
// The upload code itself is in `@rx-conversations/client/media` (createMediaSupport).
export type { MediaData, MediaInput, TemporaryMediaUrls } from './media/MediaInput.js';
export type { MediaContext, MediaRuntime, MediaSupport } from './media/MediaSupport.js';

// ── connection, options, errors, logging ──
export type { ConnectionState } from './ConnectionState.js';
export { ConversationsError } from './ConversationsError.js';
export { DEFAULT_CLIENT_OPTIONS } from './ClientOptions.js';
export type {
  ClientOptions,
  FetchLike,
  HeartbeatOptions,
  ReconnectOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './ClientOptions.js';
export type { PlatformHooks, PlatformSignal } from './PlatformHooks.js';
export type { TokenExpiryNotice } from './internal/core/TokenLifecycle.js';
export { createConsoleLogger, LOG_LEVELS } from './Logger.js';
export type { ConsoleLike, LogFields, Logger, LogLevel } from './Logger.js';

// ── push ──
export { createMemoryStorage } from './push/KeyValueStorage.js';
export type { KeyValueStorage } from './push/KeyValueStorage.js';
export { parsePushNotification } from './push/parsePushNotification.js';
export type { PushNotification } from './push/parsePushNotification.js';

// ── operators (STORE-13) ──
export { backoffDelay } from './operators/backoffDelay.js';
export type { BackoffOptions } from './operators/backoffDelay.js';
export { dedupeBy } from './operators/dedupeBy.js';
export type { DedupeByOptions } from './operators/dedupeBy.js';
export { mergePagesWithLive } from './operators/mergePagesWithLive.js';
export type { LiveChange, MergePagesWithLiveOptions } from './operators/mergePagesWithLive.js';
export { retryWithBackoff } from './operators/retryWithBackoff.js';
export type { RetryWithBackoffOptions } from './operators/retryWithBackoff.js';
export { ttlCache } from './operators/ttlCache.js';
export type { TtlCacheOptions } from './operators/ttlCache.js';
export { whenSynchronized } from './operators/whenSynchronized.js';

// ── wire types, re-exported for convenience ──
export type {
  Conversation,
  ConversationCounts,
  JsonValue,
  Media,
  MediaPreview,
  Membership,
  Message,
  NotificationLevel,
  Participant,
  ParticipantRole,
  PushType,
  User,
} from '@rx-conversations/protocol';
