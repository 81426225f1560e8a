import type { StoreAction } from './StoreAction.js';
import { emptyWindow, type MessageWindow, type PendingSend } from './StoreState.js';
import type { ReduceContext } from './conversationsReducer.js';
import { REMOVED, WindowEditor, isTombstone } from './messageWindow.js';

type Windows = Readonly<Record<string, MessageWindow>>;

/**
 * The windows of one batch being edited: one {@link WindowEditor} per touched window, so each chunk
 * is copied at most once per batch however many events touch it. `finish()` returns the new record,
 * or the original one when nothing changed.
 */
export class WindowsDraft {
  private readonly editors = new Map<string, WindowEditor>();
  private readonly deleted = new Set<string>();

  constructor(
    private readonly base: Windows,
    /** Live messages a window may hold (STORE-12). */
    private readonly max = Infinity,
  ) {}

  /** The editor of an existing window, or undefined. */
  edit(sid: string): WindowEditor | undefined {
    let e = this.editors.get(sid);
    if (e === undefined && !this.deleted.has(sid)) {
      const w = this.base[sid];
      if (w === undefined) return undefined;
      e = new WindowEditor(w, this.max);
      this.editors.set(sid, e);
    }
    return e;
  }

  /** The editor of the window, creating an empty window when there is none. */
  open(sid: string): WindowEditor {
    let e = this.edit(sid);
    if (e === undefined) {
      this.deleted.delete(sid);
      e = new WindowEditor(emptyWindow(), this.max);
      this.editors.set(sid, e);
    }
    return e;
  }

  delete(sid: string): void {
    this.editors.delete(sid);
    if (this.base[sid] !== undefined) this.deleted.add(sid);
  }

  finish(): Windows {
    let out: Record<string, MessageWindow> | null = null;
    for (const sid of this.deleted) {
      out ??= { ...this.base };
      delete out[sid];
    }
    for (const [sid, editor] of this.editors) {
      const w = editor.done();
      if (w === this.base[sid]) continue;
      out ??= { ...this.base };
      out[sid] = w;
    }
    return out ?? this.base;
  }
}

/**
 * The message windows reducer (STORE-5, STORE-7, STORE-12). Windows exist only for conversations
 * someone opened; live additions append to an existing window that follows the live end; every write
 * is version-guarded; a confirmed message replaces its optimistic copy (matched by idempotency key)
 * in the same step, so there is never a duplicate. Each window holds at most `maxWindowMessages` live
 * messages (see `WindowEditor`). Windows are persistent chunked structures (messageWindow.ts), edited
 * through `draft` and assigned into the store's immer draft once per batch.
 */
export function windowsReducer(draft: WindowsDraft, action: StoreAction, ctx: ReduceContext): void {
  switch (action.type) {
    case 'windowOpened':
      draft.open(action.conversationSid);
      return;
    case 'messageAdded':
      draft.edit(action.message.conversationSid)?.confirm(action.message, action.seq);
      return;
    case 'sendSucceeded':
      draft.edit(action.message.conversationSid)?.confirm(action.message);
      return;
    case 'messageUpdated':
    case 'messageFetched':
      draft.edit(action.message.conversationSid)?.update(action.message);
      return;
    case 'messageRemoved':
      draft.edit(action.conversationSid)?.remove(action.index, action.sid, action.version);
      return;
    case 'messageRemovedLocally': {
      const e = draft.edit(action.conversationSid);
      const entry = e?.get(action.index) ?? null;
      if (e !== undefined && entry !== null && !isTombstone(entry)) e.remove(action.index, entry.sid, REMOVED);
      return;
    }
    case 'messagesPageLoaded':
      draft.open(action.conversationSid).mergePage(action.items, action);
      return;
    case 'pageRequested':
      draft.edit(action.conversationSid)?.pageInFlight(action.direction, 1);
      return;
    case 'pageSettled':
      draft.edit(action.conversationSid)?.pageInFlight(action.direction, -1);
      return;
    case 'sendQueued': {
      const e = draft.open(action.pending.conversationSid);
      e.setPending([...e.pendingSends, action.pending]);
      return;
    }
    case 'sendFailed':
    case 'sendRetried': {
      const e = draft.edit(action.conversationSid);
      const pending = e?.pendingSends ?? [];
      const at = pending.findIndex((x) => x.idempotencyKey === action.idempotencyKey);
      if (e === undefined || at < 0) return;
      const p = pending[at]!;
      let next: PendingSend;
      if (action.type === 'sendFailed') next = { ...p, status: 'failed', error: action.error };
      else if (p.status !== 'sending') next = { ...p, status: 'sending', error: null };
      else return;
      const copy = pending.slice();
      copy[at] = next;
      e.setPending(copy);
      return;
    }
    case 'windowTrimmed':
      draft.edit(action.conversationSid)?.trim(action.keep);
      return;
    case 'conversationRemoved':
    case 'conversationRemovedLocally':
    case 'conversationsListSynced':
      for (const sid of ctx.removedNow) draft.delete(sid);
      return;
    default:
      return;
  }
}
