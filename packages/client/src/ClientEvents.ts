import type {
  Conversation,
  ConversationUpdateReason,
  Message,
  MessageUpdateReason,
  Participant,
  ParticipantUpdateReason,
  User,
  UserUpdateReason,
} from '@rx-conversations/protocol';

/**
 * What `conversationUpdated$` emits (STORE-3): the conversation after the change and why it changed
 * (`lastMessage` when a message was added or removed).
 *
 * @example
 * client.conversationUpdated$.subscribe(({ conversation, updateReasons }) => {
 *   if (updateReasons.includes('friendlyName')) setTitle(conversation.friendlyName);
 * });
 */
export interface ConversationUpdatedEvent {
  readonly conversation: Conversation;
  readonly updateReasons: readonly ConversationUpdateReason[];
}

/**
 * What `messageUpdated$` emits.
 *
 * @example
 * client.messageUpdated$.subscribe(({ message, updateReasons }) => console.log(message.index, updateReasons));
 */
export interface MessageUpdatedEvent {
  readonly message: Message;
  readonly updateReasons: readonly MessageUpdateReason[];
}

/**
 * What `messageRemoved$` emits; `message` is the removed message when the store held it.
 *
 * @example
 * client.messageRemoved$.subscribe(({ conversationSid, index }) => console.log('removed', conversationSid, index));
 */
export interface MessageRemovedEvent {
  readonly conversationSid: string;
  readonly sid: string;
  readonly index: number;
  readonly message: Message | null;
}

/**
 * What `participantUpdated$` emits.
 *
 * @example
 * client.participantUpdated$.subscribe(({ participant }) => console.log(participant.identity, participant.lastReadMessageIndex));
 */
export interface ParticipantUpdatedEvent {
  readonly participant: Participant;
  readonly updateReasons: readonly ParticipantUpdateReason[];
}

/**
 * What `participantLeft$` emits.
 *
 * @example
 * client.participantLeft$.subscribe(({ conversationSid, identity }) => console.log(identity, 'left', conversationSid));
 */
export interface ParticipantLeftEvent {
  readonly conversationSid: string;
  readonly identity: string;
  readonly sid: string;
}

/**
 * What `typingStarted$` / `typingEnded$` emit.
 *
 * @example
 * client.typingStarted$.subscribe(({ conversationSid, identity }) => console.log(identity, 'is typing in', conversationSid));
 */
export interface TypingEvent {
  readonly conversationSid: string;
  readonly identity: string;
}

/**
 * What `userUpdated$` emits: the user's own profile (from any device) and watched users.
 *
 * @example
 * client.userUpdated$.subscribe(({ user, updateReasons }) => {
 *   if (updateReasons.includes('isOnline')) setPresence(user.identity, user.isOnline);
 * });
 */
export interface UserUpdatedEvent {
  readonly user: User;
  readonly updateReasons: readonly UserUpdateReason[];
}

/**
 * What `discontinuity$` emits: the server could not replay what this client missed (CONN-5), so the
 * client re-read the conversation list, the newest page of each open message window and each open
 * roster. Messages older than that newest page were dropped from the windows: load them again if
 * the app shows them.
 *
 * @example
 * client.discontinuity$.subscribe(() => showToast('Reconnected; some history was reloaded'));
 */
export interface Discontinuity {
  readonly reason: 'resync';
  /** Conversations whose message window was replaced by its newest page. */
  readonly conversationSids: readonly string[];
}
