import { Immer } from 'immer';
import type { StoreAction } from './StoreAction.js';
import type { StoreState } from './StoreState.js';
import { conversationsMessagesAdded, conversationsReducer, sortConversationIds, type ReduceContext } from './conversationsReducer.js';
import { WindowsDraft, windowsReducer } from './windowsReducer.js';
import { participantsReducer } from './participantsReducer.js';
import { meReducer, usersReducer } from './usersReducer.js';
import { typingReducer } from './typingReducer.js';
import { syncReducer } from './syncReducer.js';
import { ACTION_CATALOG, entryOf, type ActionEntry, type SliceName } from './actionCatalog.js';

// Our own instance: the app's global immer settings are none of our business, and theirs not ours.
// No auto-freeze: V8 copies frozen arrays and objects 7–70× slower (a frozen 64-slot array slices in
// 4 µs, a plain one in 33 ns), which alone would cost more than the rest of an event's apply.
// State is immutable by contract (readonly types) and by every reducer's discipline.
const immer = new Immer({ autoFreeze: false });
immer.setUseStrictIteration(false);

// The catalog's slice lists as bit masks, for the per-action test in the loop below.
const CONVERSATIONS = 1;
const WINDOWS = 2;
const PARTICIPANTS = 4;
const USERS = 8;
const ME = 16;
const TYPING = 32;
const BIT: Readonly<Record<SliceName, number>> = { conversations: CONVERSATIONS, windows: WINDOWS, participants: PARTICIPANTS, users: USERS, me: ME, typing: TYPING };
const SLICES = new Map<StoreAction['type'], number>(
  Object.entries(ACTION_CATALOG).map(([type, entry]) => [type as StoreAction['type'], entry.slices.reduce((m, s) => m | BIT[s], 0)]),
);

/** The keys a batch changed, as the reducers report them: what keyed observers are notified by (PERF-3). */
export interface BatchChanges {
  /** Conversation sids whose conversation, window, roster or typing set the batch may have changed. */
  readonly conversations: Set<string>;
  /** Identities whose watched user or `me` the batch may have changed. */
  readonly users: Set<string>;
}

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
  /** Filled with the keys the batch changed, when given. */
  changes?: BatchChanges,
): StoreState {
  if (actions.length === 0) return state;
  const ctx: ReduceContext = { identity, before: state, resort: new Set(), headSeq: state.sync.headSeq, removedNow: [] };
  const windows = new WindowsDraft(state.windows, settings.maxWindowMessages);
  const typingMayEnd = hasKeys(state.typing) || actions.some((a) => a.type === 'typingSignal');
  let next = immer.produce(state, (draft) => {
    // A batch is mostly runs of one type (a websocket message of 100 messageAdded): look its catalog
    // entry up once per run, not per action (PERF-2).
    let runType: StoreAction['type'] | undefined;
    let slices = 0;
    let entry: ActionEntry<StoreAction> | undefined;
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      // Setting an array's length is a runtime call even when it is already 0.
      if (ctx.removedNow.length !== 0) ctx.removedNow.length = 0;
      const t = action.type;
      if (t !== runType) {
        runType = t;
        slices = SLICES.get(t)!;
        entry = entryOf(action);
      }
      if (t === 'messageAdded' && (i === 0 || actions[i - 1]!.type !== 'messageAdded')) {
        // The conversations slice takes a whole run of messageAdded at once (PERF-2); the other
        // slices still see each action below.
        let end = i + 1;
        while (end < actions.length && actions[end]!.type === 'messageAdded') end++;
        conversationsMessagesAdded(draft.conversations, actions.slice(i, end) as Extract<StoreAction, { type: 'messageAdded' }>[], ctx);
      }
      if ('seq' in action && action.seq > ctx.headSeq) ctx.headSeq = action.seq;
      if (t !== 'messageAdded' && (slices & CONVERSATIONS) !== 0) conversationsReducer(draft.conversations, action, ctx);
      if ((slices & WINDOWS) !== 0) windowsReducer(windows, action, ctx);
      if ((slices & PARTICIPANTS) !== 0) participantsReducer(draft.participants, action, ctx);
      if ((slices & USERS) !== 0) usersReducer(draft.users, action, ctx);
      if ((slices & ME) !== 0) meReducer(draft.me, action, ctx);
      // A message ends its author's typing; with nobody typing (the usual case) there is nothing to end,
      // and not asking the draft saves a proxy read per event (PERF-2).
      if ((slices & TYPING) !== 0 && (t !== 'messageAdded' || typingMayEnd)) typingReducer(draft.typing, action, ctx);
      if (changes !== undefined && entry !== undefined) {
        const sid = entry.conversation?.(action);
        if (sid !== undefined) changes.conversations.add(sid);
        // What the conversations reducer removed (with its window, roster and typing set).
        for (const removed of ctx.removedNow) changes.conversations.add(removed);
        if (entry.users !== undefined) for (const identity of entry.users(action)) changes.users.add(identity);
      }
    }
    // Windows are persistent chunked structures (see messageWindow.ts): frozen leaves for immer.
    const finished = windows.finish();
    if (finished !== state.windows) (draft as { windows: StoreState['windows'] }).windows = finished;
    if (ctx.headSeq > state.sync.headSeq || actions.some((a) => a.type === 'syncStatusChanged')) syncReducer(draft.sync, actions, ctx.headSeq);
  });
  // The conversations reducer reports every sid it added, replaced or removed in `resort`.
  if (changes !== undefined) for (const sid of ctx.resort) changes.conversations.add(sid);
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

function hasKeys(record: object): boolean {
  for (const _ in record) return true;
  return false;
}
