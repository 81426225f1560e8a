import type { Message } from '@rx-conversations/protocol';
import {
  CHUNK_SIZE,
  ChunkedWindow,
  type MessageChunk,
  type MessageTombstone,
  type MessageWindow,
  type PendingSend,
  type WindowEntry,
} from './StoreState.js';

/**
 * Chunked message windows as a persistent structure (PERF-1, PERF-8). Slot `index` lives in chunk
 * `floor(index / CHUNK_SIZE)`; an edit copies the chunks it writes (each once per edit) and the
 * small chunk array, however many messages the window holds. Every function returns the same
 * window reference when nothing changed. The windows reducer assigns the result into the store's
 * immer draft as a leaf, so immer never walks a chunk. Nothing is frozen: V8 copies a frozen array
 * ~70× slower than a plain one (8.7 µs vs 0.12 µs for 256 slots); immutability is by contract
 * (readonly types), as in the rest of the store.
 */

/** The version of a local removal's tombstone: nothing can come back after it. */
export const REMOVED = Number.MAX_SAFE_INTEGER;

export function isTombstone(entry: WindowEntry): entry is MessageTombstone {
  return (entry as MessageTombstone).removed === true;
}

/** The entry at `index`, or null. */
export function entryAt(w: MessageWindow, index: number): WindowEntry | null {
  const chunkNo = Math.floor(index / CHUNK_SIZE);
  const chunk = w.chunks[chunkNo - w.base];
  return chunk == null ? null : (chunk[index - chunkNo * CHUNK_SIZE] ?? null);
}

// A packed array (not `new Array(n)`, which is holey): V8 slices packed arrays fastest.
const NULL_CHUNK: readonly null[] = Array.from({ length: CHUNK_SIZE }, () => null);

function newChunk(): (WindowEntry | null)[] {
  return NULL_CHUNK.slice();
}

/** What a page of history covers, so the window can tell whether it still borders it. */
export interface PageInfo {
  readonly direction: 'backwards' | 'forwards';
  /** Whether more exist in the paging direction. */
  readonly hasMore: boolean;
  /** Replace what the window holds (the newest page after a resync) instead of merging. */
  readonly reset: boolean;
  /**
   * The index the page was read from (exclusive); null: the newest page (backwards) or the oldest
   * (forwards). Omitted: the range is not known and the page is merged as it is (tests, benchmarks).
   */
  readonly anchor?: number | null;
  /** The reader's log head when the page was read (`MessagesPage.asOfSeq`); omitted: current. */
  readonly asOfSeq?: number;
}

/** Entries of `outside` kept while no page is in flight (see `WindowEditor.setOutside`). */
const MAX_IDLE_OUTSIDE = 256;

function size(record: Readonly<Record<number, unknown>>): number {
  let n = 0;
  for (const _ in record) n++;
  return n;
}

/** Chunks a window may span: twice what its live bound needs, so tombstones cannot grow it without end. */
function spanLimit(max: number): number {
  return max === Infinity ? Infinity : Math.ceil(max / CHUNK_SIZE) * 2 + 2;
}

/**
 * Copy-on-write editing of one window: each chunk is copied at most once per editor, and the root
 * reducer keeps one editor per window for a whole batch, so a burst of 100 appends copies the chunk
 * array and the tail chunk once, not 100 times.
 *
 * The editor also keeps the window within `max` live messages (STORE-12): live additions push the
 * oldest out (once per batch, in `done()`), a backwards page pushes the newest out and detaches the
 * window from the live end (`hasNewer`), a forwards page pushes the oldest out and re-attaches the
 * window when it reaches the live end. Every drop removes a prefix or a suffix of the held range, so
 * the window never has a hole; pending sends are never dropped.
 */
export class WindowEditor {
  private chunks: (MessageChunk | null)[] | null = null;
  private readonly copied = new Set<MessageChunk>();
  private base: number;
  private count: number;
  private hasOlder: boolean | null;
  private hasNewer: boolean;
  private pending: readonly PendingSend[];
  private outside: Record<number, Message | null> | null = null;
  private liveSeq: number;
  private liveIndex: number;
  private loadingOlder: number;
  private loadingNewer: number;
  private changed = false;
  /** Live additions took the window over the bound: the oldest go in `done()`, once per batch. */
  private overflow = false;

  constructor(
    private readonly w: MessageWindow,
    /** Live messages the window may hold (`maxWindowMessages`); Infinity: unbounded. */
    private readonly max = Infinity,
  ) {
    this.base = w.base;
    this.count = w.count;
    this.hasOlder = w.hasOlder;
    this.hasNewer = w.hasNewer;
    this.pending = w.pending;
    this.liveSeq = w.liveSeq;
    this.liveIndex = w.liveIndex;
    this.loadingOlder = w.loadingOlder;
    this.loadingNewer = w.loadingNewer;
  }

  /** The window as edited so far (shares the editor's arrays: read it, do not keep it). */
  peek(): MessageWindow {
    return this.changed ? this.build() : this.w;
  }

  private build(): MessageWindow {
    const chunks = this.chunks ?? this.w.chunks;
    return new ChunkedWindow(
      chunks.length === 0 ? 0 : this.base,
      chunks,
      this.count,
      this.hasOlder,
      this.hasNewer,
      this.pending,
      this.outside ?? this.w.outside,
      this.liveSeq,
      this.liveIndex,
      this.loadingOlder,
      this.loadingNewer,
    );
  }

  private get list(): readonly (MessageChunk | null)[] {
    return this.chunks ?? this.w.chunks;
  }

  private mutable(): (MessageChunk | null)[] {
    this.changed = true;
    if (this.chunks === null) this.chunks = this.w.chunks.slice();
    return this.chunks;
  }

  /** The chunk at `pos`, copied (once per editor) so it can be written; a new one for a null slot. */
  private own(pos: number): (WindowEntry | null)[] {
    const chunks = this.mutable();
    let chunk = chunks[pos] ?? null;
    if (chunk === null || !this.copied.has(chunk)) {
      chunk = chunk === null ? newChunk() : chunk.slice();
      this.copied.add(chunk);
      chunks[pos] = chunk;
    }
    return chunk as (WindowEntry | null)[];
  }

  get(index: number): WindowEntry | null {
    const chunkNo = Math.floor(index / CHUNK_SIZE);
    const chunk = this.list[chunkNo - this.base];
    return chunk == null ? null : (chunk[index - chunkNo * CHUNK_SIZE] ?? null);
  }

  /** What happened live to the message at `index` while it was not held: its newer copy, null (removed), or undefined. */
  private later(index: number): Message | null | undefined {
    return (this.outside ?? this.w.outside)[index];
  }

  private setOutside(index: number, entry: Message | null | undefined): void {
    if (this.outside === null) {
      // `outside` guards pages in flight. With none in flight a full set guards nothing a page
      // requested from now on could bring back (it is read after these events): start afresh, so the
      // set stays small however many messages outside the window are edited.
      this.outside = !this.loading && entry !== undefined && size(this.w.outside) >= MAX_IDLE_OUTSIDE ? {} : { ...this.w.outside };
    }
    if (entry === undefined) delete this.outside[index];
    else this.outside[index] = entry;
    this.changed = true;
  }

  private clearOutside(): void {
    const entries = this.outside ?? this.w.outside;
    for (const _ in entries) {
      this.outside = {};
      this.changed = true;
      return;
    }
  }

  /** Whether a page is in flight: only then can an older copy of a message still arrive. */
  private get loading(): boolean {
    return this.loadingOlder + this.loadingNewer > 0;
  }

  private set(index: number, entry: WindowEntry | null): void {
    const chunks = this.mutable();
    const chunkNo = Math.floor(index / CHUNK_SIZE);
    if (chunks.length === 0) {
      this.base = chunkNo;
    } else if (chunkNo < this.base) {
      const head: (MessageChunk | null)[] = Array.from({ length: this.base - chunkNo }, () => null);
      chunks.unshift(...head);
      this.base = chunkNo;
    }
    while (chunkNo - this.base >= chunks.length) chunks.push(null);
    this.own(chunkNo - this.base)[index - chunkNo * CHUNK_SIZE] = entry;
  }

  private setHasOlder(value: boolean | null): void {
    if (this.hasOlder !== value) {
      this.hasOlder = value;
      this.changed = true;
    }
  }

  private setHasNewer(value: boolean): void {
    if (this.hasNewer !== value) {
      this.hasNewer = value;
      this.changed = true;
    }
  }

  setPending(pending: readonly PendingSend[]): void {
    if (pending !== this.pending) {
      this.pending = pending;
      this.changed = true;
    }
  }

  get pendingSends(): readonly PendingSend[] {
    return this.pending;
  }

  /** Drops every held entry (pending sends stay). */
  private clear(): void {
    if (this.list.length > 0 || this.count !== 0) {
      this.chunks = [];
      this.copied.clear();
      this.base = 0;
      this.count = 0;
      this.changed = true;
    }
  }

  /** Index of the lowest entry held (message or tombstone), or null. */
  private lowestEntry(): number | null {
    const chunks = this.list;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      if (chunk == null) continue;
      for (let i = 0; i < CHUNK_SIZE; i++) if (chunk[i] != null) return (this.base + c) * CHUNK_SIZE + i;
    }
    return null;
  }

  /** Index of the highest entry held (message or tombstone), or null. */
  private highestEntry(): number | null {
    const chunks = this.list;
    for (let c = chunks.length - 1; c >= 0; c--) {
      const chunk = chunks[c];
      if (chunk == null) continue;
      for (let i = CHUNK_SIZE - 1; i >= 0; i--) if (chunk[i] != null) return (this.base + c) * CHUNK_SIZE + i;
    }
    return null;
  }

  /** Removes leading and trailing empty chunks. */
  private stripEnds(): void {
    const chunks = this.mutable();
    let lead = 0;
    while (lead < chunks.length && chunks[lead] == null) lead++;
    if (lead > 0) {
      chunks.splice(0, lead);
      this.base += lead;
    }
    while (chunks.length > 0 && chunks[chunks.length - 1] == null) chunks.pop();
    if (chunks.length === 0) this.base = 0;
  }

  /** Removes every entry below index `cut`; returns how many live messages went. */
  private cutBelow(cut: number): number {
    const chunks = this.mutable();
    const cutChunk = Math.floor(cut / CHUNK_SIZE);
    let removed = 0;
    const whole = Math.min(chunks.length, cutChunk - this.base);
    for (let c = 0; c < whole; c++) removed += liveIn(chunks[c] ?? null, 0, CHUNK_SIZE);
    if (whole > 0) {
      chunks.splice(0, whole);
      this.base += whole;
    }
    const offset = cut - cutChunk * CHUNK_SIZE;
    if (cutChunk === this.base && chunks.length > 0 && chunks[0] != null && offset > 0) {
      removed += liveIn(chunks[0], 0, offset);
      const chunk = this.own(0);
      for (let i = 0; i < offset; i++) chunk[i] = null;
      if (liveOrTombstoneIn(chunk, offset, CHUNK_SIZE) === 0) chunks[0] = null;
    }
    this.stripEnds();
    return removed;
  }

  /** Removes every entry at or above index `cut`; returns how many live messages went. */
  private cutFrom(cut: number): number {
    const chunks = this.mutable();
    const cutChunk = Math.floor(cut / CHUNK_SIZE);
    let removed = 0;
    const keep = Math.max(0, cutChunk - this.base + 1);
    for (let c = keep; c < chunks.length; c++) removed += liveIn(chunks[c] ?? null, 0, CHUNK_SIZE);
    if (keep < chunks.length) chunks.length = keep;
    const pos = cutChunk - this.base;
    const offset = cut - cutChunk * CHUNK_SIZE;
    if (pos >= 0 && pos < chunks.length && chunks[pos] != null) {
      removed += liveIn(chunks[pos], offset, CHUNK_SIZE);
      const chunk = this.own(pos);
      for (let i = offset; i < CHUNK_SIZE; i++) chunk[i] = null;
      if (liveOrTombstoneIn(chunk, 0, offset) === 0) chunks[pos] = null;
    }
    this.stripEnds();
    return removed;
  }

  /** Drops the `n` oldest live messages and every tombstone below them. */
  private dropOldest(n: number): void {
    const chunks = this.list;
    let seen = 0;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      if (chunk == null) continue;
      for (let i = 0; i < CHUNK_SIZE; i++) {
        const e = chunk[i];
        if (e != null && !isTombstone(e) && ++seen === n) {
          this.count -= this.cutBelow((this.base + c) * CHUNK_SIZE + i + 1);
          return;
        }
      }
    }
    this.clear();
  }

  /** Drops the `n` newest live messages and every tombstone above them. */
  private dropNewest(n: number): void {
    const chunks = this.list;
    let seen = 0;
    for (let c = chunks.length - 1; c >= 0; c--) {
      const chunk = chunks[c];
      if (chunk == null) continue;
      for (let i = CHUNK_SIZE - 1; i >= 0; i--) {
        const e = chunk[i];
        if (e != null && !isTombstone(e) && ++seen === n) {
          this.count -= this.cutFrom((this.base + c) * CHUNK_SIZE + i);
          return;
        }
      }
    }
    this.clear();
  }

  /**
   * Brings the window back within the bound, dropping from `preferred` unless a page is in flight
   * in one direction only: then from the other end, so that page still borders the window.
   */
  private enforce(preferred: 'oldest' | 'newest'): void {
    const over = this.count - this.max;
    const limit = spanLimit(this.max);
    if (over <= 0 && this.list.length <= limit) return;
    const end =
      this.loadingOlder > 0 && this.loadingNewer === 0 ? 'newest' : this.loadingNewer > 0 && this.loadingOlder === 0 ? 'oldest' : preferred;
    if (end === 'oldest') {
      if (over > 0) this.dropOldest(over);
      const extra = this.list.length - limit;
      if (extra > 0) this.count -= this.cutBelow((this.base + extra) * CHUNK_SIZE);
      this.setHasOlder(true);
    } else {
      if (over > 0) this.dropNewest(over);
      const extra = this.list.length - limit;
      if (extra > 0) this.count -= this.cutFrom((this.base + this.list.length - extra) * CHUNK_SIZE);
      this.setHasNewer(true);
    }
  }

  /** The edited window; the original reference when nothing changed. */
  done(): MessageWindow {
    if (this.overflow) {
      this.overflow = false;
      this.enforce('oldest');
    }
    // A detached window with nothing left to show follows the live end again.
    if (this.hasNewer && this.count === 0) {
      this.clear();
      this.setHasNewer(false);
    }
    return this.changed ? this.build() : this.w;
  }

  /**
   * Puts `message` unless this version or a newer one (or a removal) is held for its index. A message
   * updated live while it was not held goes in as that newer copy; one removed meanwhile stays out.
   */
  upsert(message: Message): void {
    const existing = this.get(message.index);
    if (existing !== null && existing.version >= message.version) return;
    const later = this.later(message.index);
    if (later !== undefined) {
      if (later === null) return;
      this.setOutside(message.index, undefined);
      if (later.version > message.version) {
        message = later;
        if (existing !== null && existing.version >= message.version) return;
      }
    }
    this.set(message.index, message);
    if (existing === null || isTombstone(existing)) this.count += 1;
  }

  /** A live update: in place when held, else kept aside for a page in flight. */
  update(message: Message): void {
    if (this.get(message.index) === null) {
      const later = this.later(message.index);
      if (later === undefined || (later !== null && later.version < message.version)) this.setOutside(message.index, message);
    } else {
      this.upsert(message);
    }
  }

  /** Replaces a held message with a tombstone, or remembers the removal for a page in flight. */
  remove(index: number, sid: string, version: number): void {
    const existing = this.get(index);
    if (existing === null) {
      if (this.later(index) !== null) this.setOutside(index, null);
    } else if (!isTombstone(existing)) {
      this.set(index, { removed: true, sid, index, version: Math.max(version, existing.version + 1) });
      this.count -= 1;
    }
  }

  /**
   * A live message (`seq` from its event) or a send's confirmation: drops the optimistic copy with
   * the message's key and appends the message. A detached window takes it only when it falls inside
   * the held range or right after it (then the window follows the live end again).
   */
  confirm(message: Message, seq?: number): void {
    const key = message.idempotencyKey;
    if (key !== null && this.pending.length > 0) {
      const at = this.pending.findIndex((p) => p.idempotencyKey === key);
      if (at >= 0) this.setPending([...this.pending.slice(0, at), ...this.pending.slice(at + 1)]);
    }
    const announced = this.liveIndex;
    if (seq !== undefined && seq > this.liveSeq) {
      this.liveSeq = seq;
      this.changed = true;
    }
    if (message.index > this.liveIndex) {
      this.liveIndex = message.index;
      this.changed = true;
    }
    if (this.hasNewer) {
      const top = this.highestEntry();
      if (top !== null && message.index > top) {
        // Right after the newest held, and the newest announced: nothing lies between, so the window
        // reaches the live end again. Further on: a forwards page will bring it.
        if (message.index !== top + 1 || message.index <= announced) return;
        this.setHasNewer(false);
      }
    }
    this.upsert(message);
    if (this.count > this.max || this.list.length > spanLimit(this.max)) this.overflow = true;
  }

  /**
   * Merges a page (STORE-5). A page that no longer borders the held range (the window moved while it
   * was in flight) is ignored: merging it would leave a hole. A backwards page that reaches the oldest
   * held message (or fills an empty window) decides `hasOlder`; a page that reaches the live end as of
   * its read, with no live message after that read, re-attaches a detached window. `reset` first drops
   * every held message (after a resync).
   */
  mergePage(items: readonly Message[], page: PageInfo): void {
    const { direction, hasMore, reset } = page;
    const fresh = (page.asOfSeq ?? Infinity) >= this.liveSeq;
    if (reset) {
      this.clear();
      this.clearOutside();
    } else if (page.anchor !== undefined && !this.borders(items, page)) {
      return;
    }
    const lowest = reset ? null : lowestIndex(this.peek());
    for (const m of items) this.upsert(m);
    if (direction === 'backwards') {
      const first = items[0];
      if (lowest === null || first === undefined || first.index <= lowest) this.setHasOlder(hasMore);
    }
    const toLiveEnd = direction === 'backwards' ? page.anchor === null || reset : !hasMore;
    if (reset) this.setHasNewer(!fresh);
    else if (this.hasNewer && toLiveEnd && fresh) this.setHasNewer(false);
    this.enforce(direction === 'backwards' ? 'newest' : 'oldest');
  }

  /** Whether the range `page` covers meets or touches the held range (always, for an empty window). */
  private borders(items: readonly Message[], page: PageInfo): boolean {
    const lo = this.lowestEntry();
    const hi = this.highestEntry();
    if (lo === null || hi === null) return true;
    const anchor = page.anchor ?? null;
    let from: number;
    let to: number;
    if (page.direction === 'backwards') {
      to = anchor === null ? Infinity : anchor - 1;
      from = page.hasMore ? (items[0]?.index ?? to + 1) : -Infinity;
    } else {
      from = anchor === null ? -Infinity : anchor + 1;
      to = page.hasMore ? (items[items.length - 1]?.index ?? from - 1) : Infinity;
    }
    return from <= hi + 1 && to >= lo - 1;
  }

  /** A page request starts (`delta` 1) or settles (-1); `outside` is cleared once nothing is in flight. */
  pageInFlight(direction: 'backwards' | 'forwards', delta: 1 | -1): void {
    if (direction === 'backwards') this.loadingOlder = Math.max(0, this.loadingOlder + delta);
    else this.loadingNewer = Math.max(0, this.loadingNewer + delta);
    this.changed = true;
    if (!this.loading) this.clearOutside();
  }

  /**
   * STORE-12, for a window nobody observes: keeps the newest `keep` live messages. A detached window
   * is emptied instead (nobody is looking at that stretch of history any more): it follows the live end
   * again, and `loadOlder()` starts from the newest page.
   */
  trim(keep: number): void {
    this.clearOutside();
    if (this.hasNewer) {
      this.clear();
      this.setHasNewer(false);
      this.setHasOlder(null);
      return;
    }
    if (this.count <= keep) return;
    if (keep === 0) this.clear();
    else this.dropOldest(this.count - keep);
    this.setHasOlder(true);
  }
}

/** Live messages in `chunk[from..to)`. */
function liveIn(chunk: MessageChunk | null, from: number, to: number): number {
  if (chunk === null) return 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const e = chunk[i];
    if (e != null && !isTombstone(e)) n++;
  }
  return n;
}

/** Entries (messages or tombstones) in `chunk[from..to)`. */
function liveOrTombstoneIn(chunk: MessageChunk, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (chunk[i] != null) n++;
  return n;
}

/** Puts each message unless the window already has that version or newer (or a removal) for its index. */
export function upsertMessages(w: MessageWindow, messages: readonly Message[]): MessageWindow {
  const e = new WindowEditor(w);
  for (const m of messages) e.upsert(m);
  return e.done();
}

/** See {@link WindowEditor.update}. */
export function updateMessage(w: MessageWindow, message: Message): MessageWindow {
  const e = new WindowEditor(w);
  e.update(message);
  return e.done();
}

/** See {@link WindowEditor.remove}. */
export function removeMessage(w: MessageWindow, index: number, sid: string, version: number): MessageWindow {
  const e = new WindowEditor(w);
  e.remove(index, sid, version);
  return e.done();
}

/** See {@link WindowEditor.mergePage}. */
export function mergePage(w: MessageWindow, items: readonly Message[], page: PageInfo, max = Infinity): MessageWindow {
  const e = new WindowEditor(w, max);
  e.mergePage(items, page);
  return e.done();
}

/** See {@link WindowEditor.confirm}. */
export function appendLive(w: MessageWindow, message: Message, seq: number, max = Infinity): MessageWindow {
  const e = new WindowEditor(w, max);
  e.confirm(message, seq);
  return e.done();
}

/** See {@link WindowEditor.trim}. */
export function trimWindow(w: MessageWindow, keep: number): MessageWindow {
  const e = new WindowEditor(w);
  e.trim(keep);
  return e.done();
}

/** Lowest index of a live (not removed) message held, or null. */
export function lowestIndex(w: MessageWindow): number | null {
  for (let c = 0; c < w.chunks.length; c++) {
    const chunk = w.chunks[c];
    if (chunk == null) continue;
    for (let i = 0; i < CHUNK_SIZE; i++) {
      const e = chunk[i];
      if (e != null && !isTombstone(e)) return e.index;
    }
  }
  return null;
}

/** Highest index of a live message held, or null. */
export function highestIndex(w: MessageWindow): number | null {
  for (let c = w.chunks.length - 1; c >= 0; c--) {
    const chunk = w.chunks[c];
    if (chunk == null) continue;
    for (let i = CHUNK_SIZE - 1; i >= 0; i--) {
      const e = chunk[i];
      if (e != null && !isTombstone(e)) return e.index;
    }
  }
  return null;
}

/** Every live message held, ascending by index. */
export function heldMessages(w: MessageWindow): Message[] {
  const out: Message[] = [];
  for (const chunk of w.chunks) {
    if (chunk == null) continue;
    for (const e of chunk) if (e != null && !isTombstone(e)) out.push(e);
  }
  return out;
}
