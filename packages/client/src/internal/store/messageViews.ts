import type { Message, ReactionSummary } from '@rx-conversations/protocol';
import type { FailedMessage, LocalMedia, MessageView, ReactionView, SendingMessage, SentMessage } from '../../MessageView.js';
import { CHUNK_SIZE, type MessageChunk, type MessageWindow, type PendingSend } from './StoreState.js';
import { isTombstone } from './messageWindow.js';

const EMPTY: readonly MessageView[] = Object.freeze([]);

/** The views of one chunk: per slot (to carry unchanged views over to the chunk's next copy) and as a list. */
interface ChunkViews {
  readonly chunk: MessageChunk;
  readonly slots: readonly (SentMessage | undefined)[];
  readonly list: readonly SentMessage[];
}

/**
 * Turns windows into `messages$` arrays lazily (only for observed windows) with caching at every
 * level, so an unchanged message keeps its view object, an unchanged chunk its view list, and an
 * unchanged window its whole array (STORE-5, PERF-1).
 *
 * The cost of an emission is proportional to what changed plus one copy of the unchanged prefix
 * (PERF-2): a live burst rewrites the tail chunk of a 100k window, so the next array is the previous
 * one's prefix (`slice`, a memory copy: ~0.1 ms at 100k) followed by the views of the chunks that
 * changed. A view is made once per message: a chunk's new copy takes the views of the slots that
 * still hold the same message from the copy it replaces, so no per-message lookup table is needed
 * (a `WeakMap` entry per message cost more than the rest of the event and made every GC slower).
 */
export class MessageViews {
  private readonly chunkViews = new WeakMap<MessageChunk, ChunkViews>();
  /** The latest views of the chunk at each chunk number: what a new copy of that chunk starts from. */
  private readonly byChunkNo = new Map<number, ChunkViews>();
  private readonly local = new WeakMap<PendingSend, SendingMessage | FailedMessage>();
  private lastWindow: MessageWindow | undefined;
  private lastArray: readonly MessageView[] = EMPTY;
  /** The window whose chunks `lastArray` was assembled from (undefined: it is empty). */
  private lastAssembled: MessageWindow | undefined;

  /** `mineOf` says which emoji this user reacted with on a message (PARITY-3). */
  constructor(
    private readonly retry: (pending: PendingSend) => Promise<SentMessage>,
    /** The attachments of an optimistic message, which live beside the store (MEDIA-1). */
    private readonly localMedia: (key: string) => readonly LocalMedia[] | undefined = () => undefined,
    private readonly mineOf: (message: Message) => readonly string[] | undefined = () => undefined,
  ) {}

  /**
   * The view of a confirmed message: the one `messages$` shows when `window` holds this very message,
   * else a new one.
   */
  sentView(message: Message, window?: MessageWindow): SentMessage {
    const chunkNo = Math.floor(message.index / CHUNK_SIZE);
    const chunk = window?.chunks[chunkNo - window.base];
    const slot = message.index - chunkNo * CHUNK_SIZE;
    if (chunk != null && chunk[slot] === message) return this.viewsOf(chunk, chunkNo).slots[slot]!;
    return makeView(message, this.mineOf);
  }

  /** The array for `window`; the same array as last time when the window did not change. */
  assemble(window: MessageWindow | undefined): readonly MessageView[] {
    const last = this.lastWindow;
    if (window === last) return this.lastArray;
    this.lastWindow = window;
    // A window that changed only in bookkeeping (a live message passing a detached window, a page
    // request starting) shows the same messages: keep the array instead of re-assembling it.
    if (window !== undefined && last !== undefined && window.chunks === last.chunks && window.pending === last.pending) return this.lastArray;
    if (window === undefined || (window.count === 0 && window.pending.length === 0)) {
      this.lastAssembled = undefined;
      this.lastArray = EMPTY;
      return EMPTY;
    }
    // The leading chunks both windows share, by chunk number, keep their views' places in the last
    // array (after those of the chunks the window no longer holds).
    const prev = this.lastAssembled;
    let shared = 0;
    let skipped = 0;
    let prefix = 0;
    if (prev !== undefined && window.base >= prev.base) {
      const offset = window.base - prev.base;
      for (let c = 0; c < offset && c < prev.chunks.length; c++) skipped += this.countOf(prev.chunks[c] ?? null);
      const limit = Math.min(window.chunks.length, prev.chunks.length - offset);
      while (shared < limit && window.chunks[shared] === prev.chunks[shared + offset]) {
        prefix += this.countOf(window.chunks[shared] ?? null);
        shared++;
      }
    }
    this.lastAssembled = window;
    const tail: MessageView[] = [];
    for (let c = shared; c < window.chunks.length; c++) {
      const chunk = window.chunks[c];
      if (chunk == null) continue;
      const views = this.viewsOf(chunk, window.base + c).list;
      for (let i = 0; i < views.length; i++) tail.push(views[i]!);
    }
    for (const p of window.pending) tail.push(this.localView(p));
    // `concat` copies both parts as blocks: 1.5–2× faster than filling an array of the final size
    // element by element (measured at 100k + 10k), and growing a sliced prefix by push copies it twice.
    // A live burst changes only the tail, so the whole last array is the prefix and is copied once.
    // Not frozen: freezing a 100k-element array costs milliseconds. Immutable by contract.
    let out: MessageView[];
    if (prefix === 0) out = tail;
    else {
      const last = this.lastArray;
      out = (skipped === 0 && prefix === last.length ? last : last.slice(skipped, skipped + prefix)).concat(tail);
    }
    this.lastArray = out;
    if (this.byChunkNo.size > 2 * window.chunks.length + 8) this.prune(window);
    return out;
  }

  private countOf(chunk: MessageChunk | null): number {
    return chunk === null ? 0 : this.chunkViews.get(chunk)!.list.length;
  }

  private viewsOf(chunk: MessageChunk, chunkNo: number): ChunkViews {
    let views = this.chunkViews.get(chunk);
    if (views === undefined) {
      const previous = this.byChunkNo.get(chunkNo);
      const slots: (SentMessage | undefined)[] = [];
      const list: SentMessage[] = [];
      for (let i = 0; i < CHUNK_SIZE; i++) {
        const e = chunk[i];
        let view: SentMessage | undefined;
        if (e != null && !isTombstone(e)) {
          view = previous !== undefined && previous.chunk[i] === e ? previous.slots[i]! : makeView(e, this.mineOf);
          list.push(view);
        }
        slots.push(view);
      }
      views = { chunk, slots, list };
      this.chunkViews.set(chunk, views);
    }
    this.byChunkNo.set(chunkNo, views);
    return views;
  }

  /** Forgets the chunk numbers `window` no longer holds. */
  private prune(window: MessageWindow): void {
    for (const chunkNo of this.byChunkNo.keys()) {
      const pos = chunkNo - window.base;
      if (pos < 0 || pos >= window.chunks.length || window.chunks[pos] == null) this.byChunkNo.delete(chunkNo);
    }
  }

  private localView(p: PendingSend): SendingMessage | FailedMessage {
    let view = this.local.get(p);
    if (view === undefined) {
      const media = this.localMedia(p.idempotencyKey);
      const base = {
        key: p.idempotencyKey,
        sid: null,
        index: null,
        conversationSid: p.conversationSid,
        author: p.author,
        body: p.body,
        attributes: p.attributes,
        createdAt: p.createdAt,
        updatedAt: p.createdAt,
        idempotencyKey: p.idempotencyKey,
        version: 0 as const,
        ...(media === undefined ? {} : { media }),
      };
      view =
        p.status === 'failed' && p.error !== null
          ? Object.freeze({ ...base, status: 'failed' as const, error: p.error, retry: () => this.retry(p) })
          : Object.freeze({ ...base, status: 'sending' as const });
      this.local.set(p, view);
    }
    return view;
  }
}

/**
 * A confirmed message's view. Fields are copied by name: a spread of a parsed message cost 3–4× as
 * much, and a new required field of `Message` fails to compile here rather than going missing. Not frozen
 * (immutable by contract, like the rest of the store): freezing doubled the cost of a view.
 */
function makeView(m: Message, mineOf: (message: Message) => readonly string[] | undefined): SentMessage {
  return {
    sid: m.sid,
    conversationSid: m.conversationSid,
    index: m.index,
    author: m.author,
    participantSid: m.participantSid,
    type: m.type,
    lastUpdatedBy: m.lastUpdatedBy,
    body: m.body,
    attributes: m.attributes,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    idempotencyKey: m.idempotencyKey,
    version: m.version,
    // Optional fields stay absent when the message has none (undefined here reads the same).
    replyTo: m.replyTo,
    reactions: m.reactions === undefined ? undefined : reactionViews(m.reactions, mineOf(m)),
    media: m.media,
    status: 'sent',
    key: m.idempotencyKey ?? m.sid,
  };
}

/** The summaries with whether this user is among the reactors of each. */
function reactionViews(summaries: readonly ReactionSummary[], mine: readonly string[] | undefined): ReactionView[] {
  return summaries.map((s) => ({ emoji: s.emoji, count: s.count, identities: s.identities, reactedByMe: mine?.includes(s.emoji) ?? false }));
}
