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
import type { SynchronizationStatus } from '../../SynchronizationStatus.js';
import type { ConversationsError } from '../../ConversationsError.js';
import type { PendingSend } from './StoreState.js';

/**
 * Every change the store knows, as a discriminated union (STORE-1). Actions with `seq` come from
 * durable events (the router makes them); the others come from the store's effects: pages, command
 * results, timers. Reducers are pure functions of (draft, action).
 */
export type StoreAction =
  // ── durable events (router) ──
  | { readonly type: 'conversationAdded'; readonly seq: number; readonly conversation: Conversation }
  | {
      readonly type: 'conversationUpdated';
      readonly seq: number;
      readonly conversation: Conversation;
      readonly updateReasons: readonly ConversationUpdateReason[];
    }
  | { readonly type: 'conversationRemoved'; readonly seq: number; readonly sid: string; readonly reason: 'left' | 'removed' | 'deleted' }
  | { readonly type: 'messageAdded'; readonly seq: number; readonly message: Message }
  | {
      readonly type: 'messageUpdated';
      readonly seq: number;
      readonly message: Message;
      readonly updateReasons: readonly MessageUpdateReason[];
    }
  | {
      readonly type: 'messageRemoved';
      readonly seq: number;
      readonly conversationSid: string;
      readonly sid: string;
      readonly index: number;
      readonly version: number;
      /** The removed message's author (unread counts need it when the message is not held); absent from older servers. */
      readonly author?: string;
    }
  | { readonly type: 'participantJoined'; readonly seq: number; readonly participant: Participant }
  | {
      readonly type: 'participantUpdated';
      readonly seq: number;
      readonly participant: Participant;
      readonly updateReasons: readonly ParticipantUpdateReason[];
    }
  | { readonly type: 'participantLeft'; readonly seq: number; readonly conversationSid: string; readonly identity: string; readonly sid: string }
  | { readonly type: 'meUpdated'; readonly seq: number; readonly user: User; readonly updateReasons: readonly UserUpdateReason[] }
  // ── signals (router) ──
  | { readonly type: 'userSignal'; readonly user: User; readonly updateReasons: readonly UserUpdateReason[] }
  | { readonly type: 'typingSignal'; readonly conversationSid: string; readonly identity: string; readonly at: number }
  // ── effects ──
  | { readonly type: 'sessionStarted'; readonly user: User; readonly resume: 'fresh' | 'resumed' | 'resync' }
  | { readonly type: 'syncStatusChanged'; readonly status: SynchronizationStatus; readonly cached?: boolean }
  | { readonly type: 'conversationsPageLoaded'; readonly items: readonly Conversation[]; readonly asOfSeq: number }
  /** The full list was paged: drop what was neither listed nor touched by an event after `asOfSeq`. */
  | { readonly type: 'conversationsListSynced'; readonly listed: readonly string[]; readonly asOfSeq: number }
  /** A command result or a fetch: applied when newer than what the store holds (read-your-writes guard). */
  | { readonly type: 'conversationFetched'; readonly conversation: Conversation }
  | { readonly type: 'conversationRemovedLocally'; readonly sid: string }
  | {
      readonly type: 'messagesPageLoaded';
      readonly conversationSid: string;
      readonly items: readonly Message[];
      readonly direction: 'backwards' | 'forwards';
      /** Replace what the window holds (after a resync) instead of merging. */
      readonly reset: boolean;
      readonly hasMore: boolean;
      /**
       * The index the page was read from (exclusive); null: the newest (backwards) or oldest (forwards)
       * page. A page that no longer borders the window when it arrives is not merged. Omitted: merged as is.
       */
      readonly anchor?: number | null;
      /** The reader's log head when the page was read: a page older than a live message cannot re-attach the window. */
      readonly asOfSeq?: number;
    }
  /** A history page was requested: until it settles, the bound drops from the other end (STORE-12). */
  | { readonly type: 'pageRequested'; readonly conversationSid: string; readonly direction: 'backwards' | 'forwards' }
  /** The page requested with `pageRequested` arrived (dispatched right after its `messagesPageLoaded`) or failed. */
  | { readonly type: 'pageSettled'; readonly conversationSid: string; readonly direction: 'backwards' | 'forwards' }
  | { readonly type: 'windowOpened'; readonly conversationSid: string }
  | { readonly type: 'messageFetched'; readonly message: Message }
  | { readonly type: 'messageRemovedLocally'; readonly conversationSid: string; readonly index: number }
  | { readonly type: 'sendQueued'; readonly pending: PendingSend }
  | { readonly type: 'sendSucceeded'; readonly message: Message }
  | { readonly type: 'sendFailed'; readonly conversationSid: string; readonly idempotencyKey: string; readonly error: ConversationsError }
  | { readonly type: 'sendRetried'; readonly conversationSid: string; readonly idempotencyKey: string }
  | { readonly type: 'windowTrimmed'; readonly conversationSid: string; readonly keep: number }
  | { readonly type: 'participantsRequested'; readonly conversationSid: string }
  | { readonly type: 'participantsLoaded'; readonly conversationSid: string; readonly items: readonly Participant[]; readonly asOfSeq: number }
  | { readonly type: 'participantFetched'; readonly participant: Participant }
  | { readonly type: 'participantRemovedLocally'; readonly conversationSid: string; readonly identity: string }
  | { readonly type: 'rosterDropped'; readonly conversationSid: string }
  | { readonly type: 'usersLoaded'; readonly users: readonly User[] }
  | { readonly type: 'userUnwatched'; readonly identity: string }
  | { readonly type: 'meFetched'; readonly user: User }
  | { readonly type: 'typingExpired'; readonly conversationSid: string; readonly identity: string; readonly at: number };

/** The action type names. */
export type StoreActionType = StoreAction['type'];

/** The action with type `T`. */
export type ActionOf<T extends StoreActionType> = Extract<StoreAction, { type: T }>;
