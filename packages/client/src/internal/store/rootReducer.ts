import { Immer } from 'immer';
import type { StoreAction } from './StoreAction.js';
import type { StoreState } from './StoreState.js';
import { conversationsMessagesAdded, conversationsReducer, sortConversationIds, type ReduceContext } from './conversationsReducer.js';
import { WindowsDraft, windowsReducer } from './windowsReducer.js';
import { participantsReducer } from './participantsReducer.js';
import { meReducer, usersReducer } from './usersReducer.js';
import { typingReducer } from './typingReducer.js';
import { syncReducer } from './syncReducer.js';

// Our own instance: the app's global immer settings are none of our business, and theirs not ours.
// No auto-freeze: V8 copies frozen arrays and objects 7–70× slower (a frozen 64-slot array slices in
// 4 µs, a plain one in 33 ns), which alone would cost more than the rest of an event's apply.
// State is immutable by contract (readonly types) and by every reducer's discipline.
const immer = new Immer({ autoFreeze: false });
immer.setUseStrictIteration(false);

/** Action types each slice reacts to; a slice whose draft is never touched keeps its identity for free. */
const TOUCHES_WINDOWS = new Set<StoreAction['type']>([
  'windowOpened', 'messageAdded', 'sendSucceeded', 'messageUpdated', 'messageFetched', 'messageRemoved',
  'messageRemovedLocally', 'messagesPageLoaded', 'pageRequested', 'pageSettled', 'sendQueued', 'sendFailed',
  'sendRetried', 'windowTrimmed', 'conversationRemoved', 'conversationRemovedLocally', 'conversationsListSynced',
]);
const TOUCHES_ROSTERS = new Set<StoreAction['type']>([
  'participantsRequested', 'participantsLoaded', 'participantJoined', 'participantUpdated', 'participantLeft',
  'participantFetched', 'participantRemovedLocally', 'rosterDropped',
  'conversationRemoved', 'conversationRemovedLocally', 'conversationsListSynced',
]);
const TOUCHES_USERS = new Set<StoreAction['type']>(['usersLoaded', 'userSignal', 'meUpdated', 'meFetched', 'userUnwatched']);
const TOUCHES_ME = new Set<StoreAction['type']>(['sessionStarted', 'meFetched', 'meUpdated', 'userSignal', 'usersLoaded']);
const TOUCHES_TYPING = new Set<StoreAction['type']>([
  'typingSignal', 'typingExpired', 'messageAdded', 'conversationRemoved', 'conversationRemovedLocally', 'conversationsListSynced',
]);
const TOUCHES_CONVERSATIONS = new Set<StoreAction['type']>([
  'conversationAdded', 'conversationUpdated', 'conversationRemoved', 'conversationRemovedLocally', 'messageAdded',
  'messageRemoved', 'participantJoined', 'participantLeft', 'conversationsPageLoaded', 'conversationsListSynced',
  'conversationFetched',
]);

/** Settings of the reducers (the client's options). */
export interface ReduceSettings {
  /** Live messages a message window may hold (STORE-12). Default: unbounded. */
  readonly maxWindowMessages: number;
}

const UNBOUNDED: ReduceSettings = { maxWindowMessages: Infinity };

/**
 * Applies one batch of actions in one `produce` (STORE-1: one emission per batch, never a half-applied
 * state). Returns the same reference when nothing changed.
 */
export function reduceBatch(
  state: StoreState,
  actions: readonly StoreAction[],
  identity: string,
  settings: ReduceSettings = UNBOUNDED,
): StoreState {
  if (actions.length === 0) return state;
  const ctx: ReduceContext = { identity, before: state, resort: new Set(), headSeq: state.sync.headSeq, removedNow: [] };
  const windows = new WindowsDraft(state.windows, settings.maxWindowMessages);
  let next = immer.produce(state, (draft) => {
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      ctx.removedNow.length = 0;
      const t = action.type;
      if (t === 'messageAdded' && (i === 0 || actions[i - 1]!.type !== 'messageAdded')) {
        // The conversations slice takes a whole run of messageAdded at once (PERF-2); the other
        // slices still see each action below.
        let end = i + 1;
        while (end < actions.length && actions[end]!.type === 'messageAdded') end++;
        conversationsMessagesAdded(draft.conversations, actions.slice(i, end) as Extract<StoreAction, { type: 'messageAdded' }>[], ctx);
      }
      if ('seq' in action && action.seq > ctx.headSeq) ctx.headSeq = action.seq;
      if (t !== 'messageAdded' && TOUCHES_CONVERSATIONS.has(t)) conversationsReducer(draft.conversations, action, ctx);
      if (TOUCHES_WINDOWS.has(t)) windowsReducer(windows, action, ctx);
      if (TOUCHES_ROSTERS.has(t)) participantsReducer(draft.participants, action, ctx);
      if (TOUCHES_USERS.has(t)) usersReducer(draft.users, action, ctx);
      if (TOUCHES_ME.has(t)) meReducer(draft.me, action, ctx);
      if (TOUCHES_TYPING.has(t)) typingReducer(draft.typing, action, ctx);
    }
    // Windows are persistent chunked structures (see messageWindow.ts): frozen leaves for immer.
    const finished = windows.finish();
    if (finished !== state.windows) (draft as { windows: StoreState['windows'] }).windows = finished;
    if (ctx.headSeq > state.sync.headSeq || actions.some((a) => a.type === 'syncStatusChanged')) {
      for (const action of actions) syncReducer(draft.sync, action, ctx);
    }
  });
  if (ctx.resort.size > 0) {
    const c = next.conversations;
    const ids = sortConversationIds(c.ids, c.entities, ctx.resort);
    if (ids !== c.ids) {
      // The order index is derived from the entities just produced; patch it in without a second draft.
      next = { ...next, conversations: { ...c, ids } };
    }
  }
  return next;
}
