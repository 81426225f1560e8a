import type { Conversation, Message, Participant, User } from '@rx-conversations/protocol';
import type { SynchronizationStatus } from '../../SynchronizationStatus.js';
import type { ConversationsError } from '../../ConversationsError.js';
import { emptyChunkedRecord, type ChunkedRecord } from './chunkedRecord.js';

/**
 * The whole client state: normalised slices, each owned by one reducer (STORE-1). Everything is
 * immutable; an update copies only the path it touches, so slices and entities that did not change
 * keep their identity (tests assert it with `toBe`).
 */
export interface StoreState {
  readonly conversations: ConversationsSlice;
  /** Loaded message windows by conversation sid. */
  readonly windows: Readonly<Record<string, MessageWindow>>;
  /** Rosters by conversation sid; present only for conversations whose roster was asked for. */
  readonly participants: Readonly<Record<string, Roster>>;
  /** Watched users (`users.subscribe`) by identity. */
  readonly users: Readonly<Record<string, User>>;
  /** Who is typing now: conversation sid → identity → time the last typing signal arrived. */
  readonly typing: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly me: MeSlice;
  readonly sync: SyncSlice;
}

/**
 * The subscribed conversations. `ids` is sorted by activity, most recent first
 * (`lastMessageAt ?? createdAt`, then sid). `lastSeq` holds, per sid, the sequence number of the last
 * event applied for it, also after removal (a tombstone: the sid is in `lastSeq` but not in
 * `entities`), so a page read before that event cannot resurrect or regress it.
 */
export interface ConversationsSlice {
  readonly ids: readonly string[];
  /** By sid, in hash buckets (see `chunkedRecord.ts`): a write copies one bucket, not 1,000 entries. */
  readonly entities: ChunkedRecord<Conversation>;
  readonly lastSeq: ChunkedRecord<number>;
}

/** Messages per chunk: an update copies one chunk, never the whole window (PERF-1, PERF-8). */
export const CHUNK_SIZE = 256;

/** A removed message: kept so that an older page cannot bring it back (STORE-5). */
export interface MessageTombstone {
  readonly removed: true;
  readonly sid: string;
  readonly index: number;
  readonly version: number;
}

/** A slot of a chunk. */
export type WindowEntry = Message | MessageTombstone;

/** `CHUNK_SIZE` slots; slot `i` of chunk `n` holds the message with index `n * CHUNK_SIZE + i`. */
export type MessageChunk = readonly (WindowEntry | null)[];

/**
 * The loaded part of one conversation's history plus its optimistic sends. Chunks are dense from
 * `base` (chunk number of `chunks[0]`); a chunk with nothing in it is `null`.
 *
 * A window holds at most `maxWindowMessages` live messages (STORE-12). It either follows the live end
 * (`hasNewer: false`: live additions append, and push the oldest out) or is detached from it
 * (`hasNewer: true`, after scrolling back pushed the newest out: live additions do not enter until a
 * forwards page reaches the live end again).
 */
export interface MessageWindow {
  readonly base: number;
  readonly chunks: readonly (MessageChunk | null)[];
  /** Live (not removed) messages held. */
  readonly count: number;
  /** Whether older messages exist on the server before the oldest held; null = not known yet. */
  readonly hasOlder: boolean | null;
  /** Whether the window is detached from the live end: newer messages exist than the newest held. */
  readonly hasNewer: boolean;
  /** Optimistic sends not yet confirmed, in send order (STORE-7). Never dropped by the bound. */
  readonly pending: readonly PendingSend[];
  /**
   * Messages outside the held range that were updated (the newer copy) or removed (null) live: a page
   * read before those events must not bring back the older version, and gets the newer copy instead
   * (STORE-5). Cleared when the last page in flight settles and on trim; with no page in flight, at
   * most 256 are kept (a page requested later is read after those events anyway).
   */
  readonly outside: Readonly<Record<number, Message | null>>;
  /** Sequence number of the newest live `messageAdded` seen (0: none): a page read before it is stale. */
  readonly liveSeq: number;
  /** Highest message index announced live (-1: none). */
  readonly liveIndex: number;
  /**
   * History pages in flight, by direction. While older history loads, the bound drops from the newer
   * end (and while newer history loads, from the older end), so the page still borders the window
   * when it arrives.
   */
  readonly loadingOlder: number;
  readonly loadingNewer: number;
}

/** A message this client is sending (or failed to send). */
export interface PendingSend {
  readonly idempotencyKey: string;
  readonly conversationSid: string;
  readonly author: string;
  readonly body: string | null;
  readonly attributes: Message['attributes'];
  readonly createdAt: number;
  readonly status: 'sending' | 'failed';
  readonly error: ConversationsError | null;
  /** It has attachments (MEDIA-1): their bytes live only in memory, so the persistent outbox leaves it out. */
  readonly withMedia?: true;
  /** The index of the message it replies to (PARITY-3). */
  readonly replyTo?: number;
}

/** One conversation's roster, keyed by identity, with the same tombstone rule as conversations. */
export interface Roster {
  /** Whether a `participants.list` answer has been merged (before that, only live events are known). */
  readonly loaded: boolean;
  readonly entities: ChunkedRecord<Participant>;
  readonly lastSeq: ChunkedRecord<number>;
}

export interface MeSlice {
  readonly user: User | null;
}

export interface SyncSlice {
  readonly status: SynchronizationStatus;
  /** Highest durable sequence number applied. */
  readonly headSeq: number;
  /** What the store shows came from the persistent cache and the server has not confirmed it yet (OFFLINE-1). */
  readonly cached: boolean;
}

/** The state of a client that has not heard from the server yet. */
export const initialStoreState: StoreState = {
  conversations: { ids: [], entities: emptyChunkedRecord(), lastSeq: emptyChunkedRecord() },
  windows: {},
  participants: {},
  users: {},
  typing: {},
  me: { user: null },
  sync: { status: 'started', headSeq: 0, cached: false },
};

/** A new empty roster. */
export function emptyRoster(): Roster {
  return { loaded: false, entities: emptyChunkedRecord(), lastSeq: emptyChunkedRecord() };
}

/**
 * The one implementation of {@link MessageWindow}. A class on purpose: immer treats class instances
 * as opaque leaves, so it never walks (or drafts) the chunks of a window assigned into the store's
 * draft — a plain object would be scanned entry by entry on every update, O(messages held).
 */
export class ChunkedWindow implements MessageWindow {
  constructor(
    readonly base: number,
    readonly chunks: readonly (MessageChunk | null)[],
    readonly count: number,
    readonly hasOlder: boolean | null,
    readonly hasNewer: boolean,
    readonly pending: readonly PendingSend[],
    readonly outside: Readonly<Record<number, Message | null>>,
    readonly liveSeq: number,
    readonly liveIndex: number,
    readonly loadingOlder: number,
    readonly loadingNewer: number,
  ) {}
}

const NO_FLOORS: Readonly<Record<number, Message | null>> = Object.freeze({});

/** A new empty window, following the live end. */
export function emptyWindow(): MessageWindow {
  return new ChunkedWindow(0, [], 0, null, false, [], NO_FLOORS, 0, -1, 0, 0);
}
