import type { Conversation, Message, Participant, User } from './entities.js';

/** Why a conversation, message, participant or user was updated (Twilio's `updateReasons`). */
export type ConversationUpdateReason =
  | 'friendlyName' | 'uniqueName' | 'attributes' | 'lastMessage' | 'participantsCount'
  | 'lastReadMessageIndex' | 'notificationLevel' | 'role' | 'state' | 'timers';
/**
 * What changed in a message, as Twilio names it: an edit changes `body` and/or `attributes`, always
 * `dateUpdated`, and `lastUpdatedBy` when someone else than the last editor made it (PARITY-3).
 * `reactions` changes nothing else.
 */
export type MessageUpdateReason = 'body' | 'attributes' | 'lastUpdatedBy' | 'dateUpdated' | 'reactions';
export type ParticipantUpdateReason = 'attributes' | 'role' | 'lastReadMessageIndex';
export type UserUpdateReason = 'friendlyName' | 'attributes' | 'isOnline' | 'isNotifiable';

/**
 * Durable events: stored once in the server's event log and delivered with their position, so a
 * reconnecting client receives exactly those it missed, in order (CONN-5, SRV-4).
 */
export interface Events {
  /** The user joined, was added to, or created this conversation. */
  conversationAdded: { conversation: Conversation };
  /**
   * Shared fields changed (friendly name, unique name, attributes): one event for every member with
   * `membership: null` — keep your own. Your own settings changed (notification level, read horizon,
   * role): only you receive it, with your `membership`.
   */
  conversationUpdated: { conversation: Conversation; updateReasons: ConversationUpdateReason[] };
  /** The user left or was removed, or the conversation was deleted. */
  conversationRemoved: { sid: string; reason: 'left' | 'removed' | 'deleted' };
  messageAdded: { message: Message };
  /**
   * `reaction` says whose reaction came or went (PARITY-3), so that a client knows its own among the
   * summaries without another request.
   */
  messageUpdated: { message: Message; updateReasons: MessageUpdateReason[]; reaction?: { emoji: string; identity: string; added: boolean } };
  /** `author` lets a client that does not hold the message still correct its unread count. */
  messageRemoved: { conversationSid: string; sid: string; index: number; version: number; author: string };
  participantJoined: { participant: Participant };
  participantUpdated: { participant: Participant; updateReasons: ParticipantUpdateReason[] };
  participantLeft: { conversationSid: string; identity: string; sid: string };
  /** The user's own profile changed (for example from another device). */
  userUpdated: { user: User; updateReasons: UserUpdateReason[] };
}

/** Name of a durable event. */
export type EventKind = keyof Events;

/** Every durable event kind. */
export const EVENT_KINDS = [
  'conversationAdded',
  'conversationUpdated',
  'conversationRemoved',
  'messageAdded',
  'messageUpdated',
  'messageRemoved',
  'participantJoined',
  'participantUpdated',
  'participantLeft',
  'userUpdated',
] as const satisfies readonly EventKind[];

/**
 * Ephemeral signals: relayed to those connected now, never persisted or replayed, no sequence number.
 */
export interface Signals {
  typing: { conversationSid: string; identity: string };
  /** A watched user (`users.subscribe`) changed, including reachability. */
  userUpdated: { user: User; updateReasons: UserUpdateReason[] };
}

/** Name of an ephemeral signal. */
export type SignalKind = keyof Signals;

/** Every signal kind. */
export const SIGNAL_KINDS = ['typing', 'userUpdated'] as const satisfies readonly SignalKind[];
