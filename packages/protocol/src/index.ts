export { LIMITS, MAX_TIMER_MS } from './limits.js';
export type { Limits } from './limits.js';
export { ERROR_CODES, isErrorCode, isRetryable } from './errorCodes.js';
export type { ErrorCode } from './errorCodes.js';
export { CLOSE_CODES, errorCodeForClose, isDeniedCloseCode } from './closeCodes.js';
export type { CloseCode } from './closeCodes.js';
export type {
  Conversation,
  ConversationCounts,
  JsonValue,
  Membership,
  Media,
  MediaPreview,
  Message,
  NotificationLevel,
  Participant,
  ParticipantRole,
  ConversationState,
  ReactionSummary,
  ParticipantType,
  MessagingBinding,
  PushType,
  User,
  Versioned,
} from './entities.js';
export { OP_NAMES } from './ops.js';
export type { ConversationRef, ConversationTimerDurations, ConversationsPage, MessagesPage, OpArgs, OpName, OpResult, Ops } from './ops.js';
export { EVENT_KINDS, SIGNAL_KINDS } from './events.js';
export type {
  ConversationUpdateReason,
  EventKind,
  Events,
  MessageUpdateReason,
  ParticipantUpdateReason,
  SignalKind,
  Signals,
  UserUpdateReason,
} from './events.js';
export { AUTH_SUBPROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL } from './frames.js';
export type {
  ClientFrame,
  ErrorFrame,
  EventFrame,
  HelloFrame,
  NoticeFrame,
  PingFrame,
  PongFrame,
  RequestFrame,
  ResultFrame,
  ServerFrame,
  ServerMessage,
  SignalFrame,
  WelcomeFrame,
  WireError,
} from './frames.js';
export type { PushDelivery, PushPayload } from './push.js';
export { parseClientFrame } from './parseClientFrame.js';
export type { ParseClientFrameResult } from './parseClientFrame.js';
export { decodeServerMessage } from './decodeServerMessage.js';
export { StreamPositions } from './StreamPositions.js';
