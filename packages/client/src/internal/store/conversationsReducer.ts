import type { Draft } from 'immer';
import type { Conversation, Message } from '@rx-conversations/protocol';
import type { StoreAction } from './StoreAction.js';
import { CHUNK_SIZE, type ConversationsSlice, type StoreState } from './StoreState.js';
import { crDelete, crGet, crKeys, crSet, type ChunkedRecord } from './chunkedRecord.js';

/** What reducers may read besides their slice: facts of the session and the state before the batch. */
export interface ReduceContext {
  /** The user's identity (own messages are never unread). */
  readonly identity: string;
  /** The state before the batch, read-only. */
  readonly before: StoreState;
  /** Sids whose activity order may have changed in this batch; `sortConversationIds` re-places them. */
  readonly resort: Set<string>;
  /** Highest durable sequence number applied so far, including this batch's earlier events. */
  headSeq: number;
  /** Sids the conversations reducer removed while reducing the current action. */
  readonly removedNow: string[];
}

/**
 * The conversations slice reducer. Events are applied unconditionally (the core delivers them in
 * order, exactly once); pages only when read after the last event for that sid (`asOfSeq ≥
 * lastSeq`), never resurrecting a removed conversation; command results only when newer.
 *
 * Derived fields (`lastMessage*`, `messagesCount`, `participantsCount`, the user's unread count) follow
 * `messageAdded/Removed` and `participantJoined/Left`, each counted once: an event at or below the
 * sid's `lastSeq` is already in the snapshot that set it (a page read after it), so it changes nothing.
 */
export function conversationsReducer(slice: Draft<ConversationsSlice>, action: StoreAction, ctx: ReduceContext): void {
  const entities = slice.entities as unknown as Draft<ChunkedRecord<Conversation>>;
  const lastSeq = slice.lastSeq as Draft<ChunkedRecord<number>>;
  const get = (sid: string) => crGet(entities as ChunkedRecord<Conversation>, sid) as Draft<Conversation> | undefined;
  const seqOf = (sid: string) => crGet(lastSeq as ChunkedRecord<number>, sid);
  /** Records event `seq` for `sid`; false when a snapshot read at or after it is already held. */
  const advance = (sid: string, seq: number): boolean => {
    const seen = seqOf(sid);
    if (seen !== undefined && seen >= seq) return false;
    crSet(lastSeq, sid, seq);
    return true;
  };
  switch (action.type) {
    case 'conversationAdded':
    case 'conversationUpdated': {
      const sid = action.conversation.sid;
      const existing = get(sid);
      // A shared update carries no membership (one event for every member): keep our own.
      const membership = action.conversation.membership ?? existing?.membership ?? null;
      crSet(entities, sid, membership === action.conversation.membership ? action.conversation : { ...action.conversation, membership: membership as Conversation['membership'] });
      crSet(lastSeq, sid, action.seq);
      ctx.resort.add(sid);
      return;
    }
    case 'conversationRemoved': {
      remove(slice, action.sid, action.seq, ctx);
      return;
    }
    case 'conversationRemovedLocally': {
      if (get(action.sid) !== undefined) remove(slice, action.sid, Math.max(ctx.headSeq, seqOf(action.sid) ?? 0), ctx);
      return;
    }
    case 'messageAdded': {
      conversationsMessagesAdded(slice, [action], ctx);
      return;
    }
    case 'participantJoined':
    case 'participantLeft': {
      const joined = action.type === 'participantJoined';
      const sid = joined ? action.participant.conversationSid : action.conversationSid;
      const identity = joined ? action.participant.identity : action.identity;
      if (!advance(sid, action.seq)) return;
      const conv = get(sid);
      // The user's own join is already counted by the `conversationAdded` snapshot that precedes it;
      // the user's own departure arrives as `conversationRemoved`.
      if (conv === undefined || identity === ctx.identity) return;
      if (joined) conv.participantsCount += 1;
      else if (conv.participantsCount > 0) conv.participantsCount -= 1;
      return;
    }
    case 'messageRemoved': {
      if (!advance(action.conversationSid, action.seq)) return;
      const conv = get(action.conversationSid);
      if (conv === undefined) return;
      if (conv.messagesCount > 0) conv.messagesCount -= 1;
      // The event names the author; an older server's does not, and then only a held copy tells.
      const author = action.author ?? findHeldMessage(ctx.before, action.conversationSid, action.index)?.author;
      const m = conv.membership;
      if (
        author !== undefined &&
        m !== null &&
        author !== ctx.identity &&
        m.unreadMessagesCount > 0 &&
        (m.lastReadMessageIndex === null || action.index > m.lastReadMessageIndex)
      ) {
        m.unreadMessagesCount -= 1;
      }
      return;
    }
    case 'conversationsPageLoaded': {
      for (const item of action.items) {
        const sid = item.sid;
        const seen = seqOf(sid);
        if (seen !== undefined && seen > action.asOfSeq) continue;
        const existing = get(sid);
        if (existing !== undefined && (existing.version > item.version || sameConversation(existing as Conversation, item))) continue;
        crSet(entities, sid, item);
        if (seen !== action.asOfSeq) crSet(lastSeq, sid, action.asOfSeq);
        ctx.resort.add(sid);
      }
      return;
    }
    case 'conversationsListSynced': {
      const listed = new Set(action.listed);
      for (const sid of crKeys(entities as ChunkedRecord<Conversation>)) {
        if (listed.has(sid)) continue;
        if ((seqOf(sid) ?? -1) <= action.asOfSeq) remove(slice, sid, action.asOfSeq, ctx);
      }
      return;
    }
    case 'conversationFetched': {
      const item = action.conversation;
      const existing = get(item.sid);
      if (existing === undefined) {
        // Only a conversation the user belongs to enters the subscribed list.
        if (item.membership === null) return;
        crSet(entities, item.sid, item);
        ctx.resort.add(item.sid);
        return;
      }
      if (item.version > existing.version) {
        if (!sameConversation(existing as Conversation, item)) {
          crSet(entities, item.sid, item);
          ctx.resort.add(item.sid);
        }
        return;
      }
      // Same version: the server may not version per-user membership changes; take those from the result.
      if (item.version === existing.version && item.membership !== null && existing.membership !== null) {
        const a = existing.membership;
        const b = item.membership;
        if (a.notificationLevel !== b.notificationLevel) a.notificationLevel = b.notificationLevel;
        if (a.role !== b.role) a.role = b.role;
        if (a.lastReadMessageIndex !== b.lastReadMessageIndex) {
          a.lastReadMessageIndex = b.lastReadMessageIndex;
          a.unreadMessagesCount = b.unreadMessagesCount;
        }
      }
      return;
    }
    default:
      return;
  }
}

function remove(slice: Draft<ConversationsSlice>, sid: string, seq: number, ctx: ReduceContext): void {
  const entities = slice.entities as unknown as Draft<ChunkedRecord<Conversation>>;
  if (crGet(entities as ChunkedRecord<Conversation>, sid) !== undefined) {
    crDelete(entities, sid);
    ctx.resort.add(sid);
  }
  crSet(slice.lastSeq as Draft<ChunkedRecord<number>>, sid, seq);
  ctx.removedNow.push(sid);
}

/**
 * A run of consecutive `messageAdded` actions, applied as the same actions one by one would be, but
 * touching each conversation's draft once (PERF-2): streams arrive as websocket messages of ~100 such
 * events, and immer's proxy traps on every field of every event were most of the client's cost.
 * Another conversation's message changes nothing of this one, so grouping by conversation keeps order.
 */
export function conversationsMessagesAdded(
  slice: Draft<ConversationsSlice>,
  run: readonly Extract<StoreAction, { type: 'messageAdded' }>[],
  ctx: ReduceContext,
): void {
  const entities = slice.entities as unknown as ChunkedRecord<Conversation>;
  const lastSeq = slice.lastSeq as ChunkedRecord<number>;
  const bySid = new Map<string, Extract<StoreAction, { type: 'messageAdded' }>[]>();
  for (const action of run) {
    const sid = action.message.conversationSid;
    const list = bySid.get(sid);
    if (list === undefined) bySid.set(sid, [action]);
    else list.push(action);
  }
  for (const [sid, actions] of bySid) {
    const seenBefore = crGet(lastSeq, sid);
    let seen = seenBefore ?? -Infinity;
    const conv = crGet(entities, sid);
    // Plain reads of the current values (through the draft once), folded locally, written back once.
    let lastMessageIndex = conv?.lastMessageIndex ?? null;
    let lastMessageAt = conv?.lastMessageAt ?? null;
    let messagesCount = conv?.messagesCount ?? 0;
    const m = conv?.membership ?? null;
    let unread = m?.unreadMessagesCount ?? 0;
    const lastRead = m?.lastReadMessageIndex ?? null;
    let resort = false;
    for (const { seq, message } of actions) {
      if (seq <= seen) continue;
      seen = seq;
      if (conv === undefined) continue;
      if (lastMessageIndex === null || message.index > lastMessageIndex) {
        lastMessageIndex = message.index;
        if (lastMessageAt !== message.createdAt) {
          lastMessageAt = message.createdAt;
          resort = true;
        }
      }
      messagesCount += 1;
      if (m !== null && message.author !== ctx.identity && (lastRead === null || message.index > lastRead)) unread += 1;
    }
    if (seen !== (seenBefore ?? -Infinity)) crSet(slice.lastSeq as Draft<ChunkedRecord<number>>, sid, seen);
    if (conv === undefined) continue;
    const draft = conv as Draft<Conversation>;
    if (draft.lastMessageIndex !== lastMessageIndex) draft.lastMessageIndex = lastMessageIndex;
    if (draft.lastMessageAt !== lastMessageAt) draft.lastMessageAt = lastMessageAt;
    if (draft.messagesCount !== messagesCount) draft.messagesCount = messagesCount;
    if (m !== null && m.unreadMessagesCount !== unread) (draft.membership as Draft<NonNullable<Conversation['membership']>>).unreadMessagesCount = unread;
    if (resort) ctx.resort.add(sid);
  }
}

function findHeldMessage(state: StoreState, conversationSid: string, index: number): Message | undefined {
  const w = state.windows[conversationSid];
  if (w === undefined) return undefined;
  const chunkNo = Math.floor(index / CHUNK_SIZE);
  const entry = w.chunks[chunkNo - w.base]?.[index - chunkNo * CHUNK_SIZE];
  return entry == null || 'removed' in entry ? undefined : entry;
}

/** Equal in everything a snapshot can carry for the same version (derived fields are not versioned). */
export function sameConversation(a: Conversation, b: Conversation): boolean {
  if (a === b) return true;
  if (
    a.version !== b.version ||
    a.lastMessageIndex !== b.lastMessageIndex ||
    a.lastMessageAt !== b.lastMessageAt ||
    a.messagesCount !== b.messagesCount ||
    a.participantsCount !== b.participantsCount ||
    a.friendlyName !== b.friendlyName ||
    a.uniqueName !== b.uniqueName ||
    a.updatedAt !== b.updatedAt
  ) {
    return false;
  }
  const ma = a.membership;
  const mb = b.membership;
  if (ma === null || mb === null) return ma === mb;
  return (
    ma.role === mb.role &&
    ma.lastReadMessageIndex === mb.lastReadMessageIndex &&
    ma.notificationLevel === mb.notificationLevel &&
    ma.unreadMessagesCount === mb.unreadMessagesCount
  );
}

/** Activity order: most recent first (`lastMessageAt ?? createdAt`), then sid for a stable order. */
export function compareActivity(a: Conversation, b: Conversation): number {
  const ka = a.lastMessageAt ?? a.createdAt;
  const kb = b.lastMessageAt ?? b.createdAt;
  if (ka !== kb) return kb - ka;
  return a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0;
}

/**
 * Re-places the sids in `resort` in the activity order, copying `ids` only when the order really
 * changed (an entity-only update keeps `ids` identity).
 */
export function sortConversationIds(
  ids: readonly string[],
  record: ChunkedRecord<Conversation>,
  resort: ReadonlySet<string>,
): readonly string[] {
  const at = (sid: string): Conversation | undefined => crGet(record, sid);
  if (resort.size === 0) return ids;
  if (resort.size === 1) {
    const [sid] = resort as Set<string>;
    const conv = at(sid!);
    const pos = ids.indexOf(sid!);
    if (conv !== undefined && pos >= 0) {
      const prev = pos > 0 ? at(ids[pos - 1]!) : undefined;
      const next = pos < ids.length - 1 ? at(ids[pos + 1]!) : undefined;
      if ((prev === undefined || compareActivity(prev, conv) < 0) && (next === undefined || compareActivity(conv, next) < 0)) return ids;
    }
  }
  const kept = ids.filter((id) => !resort.has(id));
  for (const sid of resort) {
    const conv = at(sid);
    if (conv === undefined) continue;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareActivity(at(kept[mid]!)!, conv) < 0) lo = mid + 1;
      else hi = mid;
    }
    kept.splice(lo, 0, sid);
  }
  if (kept.length === ids.length && kept.every((id, i) => id === ids[i])) return ids;
  return kept;
}
