import type { Conversation, JsonValue, Message, User } from '@rx-conversations/protocol';
import type { StoreAction } from '../internal/store/StoreAction.js';
import type { PendingSend, StoreState } from '../internal/store/StoreState.js';
import { crGet } from '../internal/store/chunkedRecord.js';
import { heldMessages } from '../internal/store/messageWindow.js';

/**
 * The cache's schema version. A snapshot of another version is discarded, never read: bump it with
 * any change to {@link CacheSnapshot} or to what its fields mean.
 */
export const CACHE_SCHEMA_VERSION = 1;

/**
 * How much one identity's cache holds at most (OFFLINE-1): the whole conversation list up to
 * `conversations` (a longer list is not cached at all: a partial list would be misread as the whole),
 * the newest `messagesPerWindow` messages of the `windows` most recently active conversations whose
 * window follows the live end, and the whole outbox (the request queue holds at most 1,000 by default).
 * A snapshot whose JSON is longer than `chars` keeps only its outbox.
 */
export const CACHE_BOUNDS = { conversations: 2_000, windows: 50, messagesPerWindow: 50, chars: 8_000_000 } as const;

/** What the store showed at one position: restored at once at the next start, then resumed from `position`. */
export interface CachedState {
  /** Log position of the last durable event the store had applied (CONN-5). */
  readonly position: number;
  readonly user: User | null;
  /** Most recent activity first. */
  readonly conversations: readonly Conversation[];
  readonly windows: readonly CachedWindow[];
}

/** The newest messages of one conversation, ascending by index. */
export interface CachedWindow {
  readonly sid: string;
  readonly messages: readonly Message[];
  /** Older messages exist on the server. */
  readonly hasOlder: boolean;
}

/**
 * One entry of the persistent outbox (OFFLINE-2), in send order. `kind` tells entries apart: a media
 * upload will be an entry of its own kind (its bytes stored beside the snapshot, by key), which an
 * older client discards with the snapshot's version.
 */
export interface OutboxMessage {
  readonly kind: 'message';
  readonly conversationSid: string;
  /** The send's idempotency key: a send that did reach the server before is not created twice. */
  readonly idempotencyKey: string;
  readonly author: string;
  readonly body: string | null;
  readonly attributes: JsonValue;
  readonly createdAt: number;
  /** The message it replies to (PARITY-3); absent when it replies to none. */
  readonly replyTo?: number;
}

/** Everything one identity's persistence stores, under one key. */
export interface CacheSnapshot {
  readonly v: typeof CACHE_SCHEMA_VERSION;
  readonly identity: string;
  readonly url: string;
  /** Null when there is nothing trustworthy to show (over the bounds, or never synchronised). */
  readonly cache: CachedState | null;
  readonly outbox: readonly OutboxMessage[];
}

/** The cache part of a snapshot of `state` at `position`, within {@link CACHE_BOUNDS}; null when the list is over them. */
export function cacheOf(state: StoreState, position: number): CachedState | null {
  const { ids, entities } = state.conversations;
  if (ids.length > CACHE_BOUNDS.conversations) return null;
  const conversations = ids.map((sid) => crGet(entities, sid)!);
  const windows: CachedWindow[] = [];
  for (const sid of ids) {
    if (windows.length === CACHE_BOUNDS.windows) break;
    const w = state.windows[sid];
    // A window detached from the live end holds no newest page to show.
    if (w === undefined || w.count === 0 || w.hasNewer) continue;
    const held = heldMessages(w);
    const messages = held.slice(-CACHE_BOUNDS.messagesPerWindow);
    windows.push({ sid, messages, hasOlder: messages.length < held.length || w.hasOlder !== false });
  }
  return { position, user: state.me.user, conversations, windows };
}

/** The sends of `state` still waiting for the server, in send order (failed ones are the app's to retry or drop). */
export function outboxOf(state: StoreState): OutboxMessage[] {
  const outbox: OutboxMessage[] = [];
  for (const w of Object.values(state.windows)) {
    for (const p of w.pending) {
      // A send with files cannot outlive the page: its bytes are not stored, and sent again without
      // them it would be another message (MEDIA-1).
      if (p.status !== 'sending' || p.withMedia === true) continue;
      const { conversationSid, idempotencyKey, author, body, attributes, createdAt, replyTo } = p;
      outbox.push({ kind: 'message', conversationSid, idempotencyKey, author, body, attributes, createdAt, ...(replyTo !== undefined && { replyTo }) });
    }
  }
  // Stable: sends of one conversation keep their order, which is what the server sees.
  return outbox.sort((a, b) => a.createdAt - b.createdAt);
}

/** The snapshot as stored, or just its outbox when it would exceed {@link CACHE_BOUNDS}`.chars`. */
export function encodeSnapshot(snapshot: CacheSnapshot): string {
  const text = JSON.stringify(snapshot);
  return text.length <= CACHE_BOUNDS.chars ? text : JSON.stringify({ ...snapshot, cache: null });
}

/**
 * The snapshot stored in `text` when it is one of this schema version, identity and server; else why
 * not (a string), so the caller can warn and discard it. Never throws.
 */
export function decodeSnapshot(text: string, identity: string, url: string): CacheSnapshot | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the cache is not JSON';
  }
  const s = value as Partial<CacheSnapshot> | null;
  if (s === null || typeof s !== 'object') return 'the cache is not an object';
  if (s.v !== CACHE_SCHEMA_VERSION) return `the cache has schema version ${String(s.v)}, not ${CACHE_SCHEMA_VERSION}`;
  if (s.identity !== identity || s.url !== url) return 'the cache belongs to another identity or server';
  if (!Array.isArray(s.outbox) || (s.cache !== null && !isCachedState(s.cache))) return 'the cache is malformed';
  return s as CacheSnapshot;
}

function isCachedState(value: unknown): value is CachedState {
  const c = value as Partial<CachedState> | null;
  return c !== null && typeof c === 'object' && Number.isSafeInteger(c.position) && Array.isArray(c.conversations) && Array.isArray(c.windows);
}

/**
 * The actions that show `cache` in an empty store, flagged as cached. Every entity enters at position
 * 0, below any event or page: whatever the server says next replaces it.
 */
export function restoreActions(cache: CachedState): StoreAction[] {
  const actions: StoreAction[] = [{ type: 'conversationsPageLoaded', items: cache.conversations, asOfSeq: 0 }];
  if (cache.user !== null) actions.push({ type: 'meFetched', user: cache.user });
  for (const w of cache.windows) {
    actions.push({
      type: 'messagesPageLoaded',
      conversationSid: w.sid,
      items: w.messages,
      direction: 'backwards',
      reset: true,
      hasMore: w.hasOlder,
      anchor: null,
      asOfSeq: 0,
    });
  }
  actions.push({ type: 'syncStatusChanged', status: 'started', cached: true });
  return actions;
}

/** The optimistic send an outbox entry stands for, queued again. */
export function pendingOf(entry: OutboxMessage): PendingSend {
  const { conversationSid, idempotencyKey, author, body, attributes, createdAt, replyTo } = entry;
  return { idempotencyKey, conversationSid, author, body, attributes, createdAt, status: 'sending', error: null, ...(replyTo !== undefined && { replyTo }) };
}
