import type { Message } from '@rx-conversations/protocol';
import type { FailedMessage, MessageView, SendingMessage, SentMessage } from '../../MessageView.js';
import { CHUNK_SIZE, type MessageChunk, type MessageWindow, type PendingSend } from './StoreState.js';
import { isTombstone } from './messageWindow.js';

const EMPTY: readonly MessageView[] = Object.freeze([]);

/**
 * Turns windows into `messages$` arrays lazily (only for observed windows) with caching at every
 * level, so an unchanged message keeps its view object, an unchanged chunk its view array, and an
 * unchanged window its whole array (STORE-5, PERF-1).
 */
export class MessageViews {
  private readonly sent = new WeakMap<Message, SentMessage>();
  private readonly chunkViews = new WeakMap<MessageChunk, readonly SentMessage[]>();
  private readonly local = new WeakMap<PendingSend, SendingMessage | FailedMessage>();
  private lastWindow: MessageWindow | undefined;
  private lastArray: readonly MessageView[] = EMPTY;

  constructor(private readonly retry: (pending: PendingSend) => Promise<SentMessage>) {}

  /** The view of a confirmed message (same object for the same message). */
  sentView(message: Message): SentMessage {
    let view = this.sent.get(message);
    if (view === undefined) {
      view = Object.freeze({ ...message, status: 'sent' as const, key: message.idempotencyKey ?? message.sid });
      this.sent.set(message, view);
    }
    return view;
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
      this.lastArray = EMPTY;
      return EMPTY;
    }
    // Grown by push, not `new Array(n)`: V8 makes a large pre-sized array a slow dictionary. Not
    // frozen either: freezing a 100k-element array costs milliseconds. Immutable by contract.
    const out: MessageView[] = [];
    for (const chunk of window.chunks) {
      if (chunk == null) continue;
      const views = this.viewsOf(chunk);
      for (let i = 0; i < views.length; i++) out.push(views[i]!);
    }
    for (const p of window.pending) out.push(this.localView(p));
    this.lastArray = out;
    return this.lastArray;
  }

  private viewsOf(chunk: MessageChunk): readonly SentMessage[] {
    let views = this.chunkViews.get(chunk);
    if (views === undefined) {
      const list: SentMessage[] = [];
      for (let i = 0; i < CHUNK_SIZE; i++) {
        const e = chunk[i];
        if (e != null && !isTombstone(e)) list.push(this.sentView(e));
      }
      views = list;
      this.chunkViews.set(chunk, views);
    }
    return views;
  }

  private localView(p: PendingSend): SendingMessage | FailedMessage {
    let view = this.local.get(p);
    if (view === undefined) {
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
