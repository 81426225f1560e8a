import type { ActionOf, StoreAction, StoreActionType } from './StoreAction.js';

/** The store's slices that have a reducer per action (the sync slice sees every batch: see `reduceBatch`). */
export type SliceName = 'conversations' | 'windows' | 'participants' | 'users' | 'me' | 'typing';

/** What the store knows about one action type. */
export interface ActionEntry<A extends StoreAction> {
  /** The slices whose reducers handle it; the others never see it, and keep their identity for free. */
  readonly slices: readonly SliceName[];
  /**
   * The conversation it concerns: the key its change is routed by (PERF-3). Actions that concern
   * several (a page of conversations, the synced list) have none: the conversations reducer reports
   * the sids it changed or removed instead.
   */
  readonly conversation?: (action: A) => string;
  /** The watched users it concerns. */
  readonly users?: (action: A) => readonly string[];
  /**
   * A durable event that names a conversation without carrying it: when the store does not hold that
   * conversation, it is fetched (the runtime's `discover`).
   */
  readonly discovers?: true;
}

type Catalog = { readonly [T in StoreActionType]: ActionEntry<ActionOf<T>> };

const REMOVALS: readonly SliceName[] = ['conversations', 'windows', 'participants', 'typing'];

/**
 * Every store action, once (STORE-1): which slices reduce it, which conversation or users it
 * concerns, and whether it names a conversation the store may not know. The root reducer routes by
 * it, the store notifies keyed observers by it, the runtime discovers conversations by it. A new
 * action type does not compile until it is listed here.
 */
export const ACTION_CATALOG: Catalog = {
  // ── durable events ──
  conversationAdded: { slices: ['conversations'], conversation: (a) => a.conversation.sid },
  conversationUpdated: { slices: ['conversations'], conversation: (a) => a.conversation.sid },
  conversationRemoved: { slices: REMOVALS, conversation: (a) => a.sid },
  messageAdded: { slices: ['conversations', 'windows', 'typing'], conversation: (a) => a.message.conversationSid, discovers: true },
  messageUpdated: { slices: ['windows'], conversation: (a) => a.message.conversationSid, discovers: true },
  messageRemoved: { slices: ['conversations', 'windows'], conversation: (a) => a.conversationSid, discovers: true },
  participantJoined: { slices: ['conversations', 'participants'], conversation: (a) => a.participant.conversationSid, discovers: true },
  participantUpdated: { slices: ['participants'], conversation: (a) => a.participant.conversationSid, discovers: true },
  participantLeft: { slices: ['conversations', 'participants'], conversation: (a) => a.conversationSid, discovers: true },
  meUpdated: { slices: ['users', 'me'], users: (a) => [a.user.identity] },
  // ── signals ──
  userSignal: { slices: ['users', 'me'], users: (a) => [a.user.identity] },
  typingSignal: { slices: ['typing'], conversation: (a) => a.conversationSid },
  // ── effects ──
  sessionStarted: { slices: ['me'] },
  syncStatusChanged: { slices: [] },
  conversationsPageLoaded: { slices: ['conversations'] },
  conversationsListSynced: { slices: REMOVALS },
  conversationFetched: { slices: ['conversations'], conversation: (a) => a.conversation.sid },
  conversationRemovedLocally: { slices: REMOVALS, conversation: (a) => a.sid },
  messagesPageLoaded: { slices: ['windows'], conversation: (a) => a.conversationSid },
  pageRequested: { slices: ['windows'], conversation: (a) => a.conversationSid },
  pageSettled: { slices: ['windows'], conversation: (a) => a.conversationSid },
  windowOpened: { slices: ['windows'], conversation: (a) => a.conversationSid },
  messageFetched: { slices: ['windows'], conversation: (a) => a.message.conversationSid },
  messageRemovedLocally: { slices: ['windows'], conversation: (a) => a.conversationSid },
  sendQueued: { slices: ['windows'], conversation: (a) => a.pending.conversationSid },
  sendSucceeded: { slices: ['windows'], conversation: (a) => a.message.conversationSid },
  sendFailed: { slices: ['windows'], conversation: (a) => a.conversationSid },
  sendRetried: { slices: ['windows'], conversation: (a) => a.conversationSid },
  windowTrimmed: { slices: ['windows'], conversation: (a) => a.conversationSid },
  participantsRequested: { slices: ['participants'], conversation: (a) => a.conversationSid },
  participantsLoaded: { slices: ['participants'], conversation: (a) => a.conversationSid },
  participantFetched: { slices: ['participants'], conversation: (a) => a.participant.conversationSid },
  participantRemovedLocally: { slices: ['participants'], conversation: (a) => a.conversationSid },
  rosterDropped: { slices: ['participants'], conversation: (a) => a.conversationSid },
  usersLoaded: { slices: ['users', 'me'], users: (a) => a.users.map((u) => u.identity) },
  userUnwatched: { slices: ['users'], users: (a) => [a.identity] },
  meFetched: { slices: ['users', 'me'], users: (a) => [a.user.identity] },
  typingExpired: { slices: ['typing'], conversation: (a) => a.conversationSid },
};

/** An action's entry, typed for the action at hand. */
export function entryOf(action: StoreAction): ActionEntry<StoreAction> {
  return ACTION_CATALOG[action.type] as ActionEntry<StoreAction>;
}

/** The conversation an action concerns, if it names one (see {@link ActionEntry.conversation}). */
export function conversationKeyOf(action: StoreAction): string | undefined {
  return entryOf(action).conversation?.(action);
}
