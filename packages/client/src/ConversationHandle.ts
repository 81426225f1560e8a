import { distinctUntilChanged, filter, map, Subject, type Observable } from 'rxjs';
import type {
  Conversation,
  ConversationCounts,
  JsonValue,
  Message,
  NotificationLevel,
  Participant,
  ParticipantRole,
} from '@rx-conversations/protocol';
import { ConversationsError } from './ConversationsError.js';
import type { MessageView, SentMessage } from './MessageView.js';
import type { Paginator } from './Paginator.js';
import type { StoreRuntime } from './internal/store/StoreRuntime.js';
import type { MessageWindow, PendingSend, Roster } from './internal/store/StoreState.js';
import { MessageViews } from './internal/store/messageViews.js';
import { entryAt, isTombstone } from './internal/store/messageWindow.js';
import { crGet, crKeys } from './internal/store/chunkedRecord.js';
import { ttlCache } from './operators/ttlCache.js';
import { coalesceLarge } from './internal/store/coalesceLarge.js';
import { newIdempotencyKey } from './internal/newIdempotencyKey.js';
import { fromCall } from './internal/fromCall.js';
import { HandleCache } from './internal/HandleCache.js';
import { ParticipantHandle } from './ParticipantHandle.js';
import type { MediaInput, TemporaryMediaUrls } from './media/MediaInput.js';
import type { MediaRuntime } from './media/MediaSupport.js';

/** What `loadOlder` / `loadNewer` resolve with. */
export interface LoadResult {
  /** Messages the page brought (some may already have been held). */
  readonly loaded: number;
  /** Whether more exist in that direction. */
  readonly hasMore: boolean;
}

/**
 * Where the loaded window of `messages$` stands in the conversation's history (STORE-12).
 *
 * @example
 * conversation.messagesWindow$.subscribe(({ hasOlder, hasNewer }) => {
 *   showLoadOlderButton(hasOlder !== false);
 *   showJumpToLatest(hasNewer); // scrolled back: live messages are not in the window
 * });
 */
export interface MessagesWindowState {
  /** Older messages exist before the oldest held (`loadOlder()` brings them); null: not known yet. */
  readonly hasOlder: boolean | null;
  /**
   * The window is detached from the live end: newer messages exist than the newest held, and live
   * messages do not enter the window until `loadNewer()` reaches the live end again.
   */
  readonly hasNewer: boolean;
}

const INITIAL_WINDOW_STATE: MessagesWindowState = Object.freeze({ hasOlder: null, hasNewer: false });

/** What `sendMessage` accepts besides a plain body. */
export interface SendMessageOptions {
  readonly body?: string | null;
  readonly attributes?: JsonValue;
  /**
   * Files to attach, 1 to 10, uploaded over HTTP before the message is sent (MEDIA-1). Each shows in
   * the optimistic message's `media` with its `progress$`.
   */
  readonly media?: readonly MediaInput[];
  /**
   * Cancels the uploads: the message becomes `failed` with `media_upload_aborted` as its error's
   * cause (`retry()` resumes). No effect once every upload is stored.
   */
  readonly signal?: AbortSignal;
  /** The index of the message this one replies to (PARITY-3); it then appears in that message's thread. */
  readonly replyTo?: number;
}

const DEFAULT_PAGE = 30;
/**
 * Above this many held messages, `messages$` coalesces bursts: each emission is a new array of every
 * held message, and copying it costs as much as allocating it (~20 ns per message on a busy 2-core VM:
 * ~2 ms at 100k) however few messages changed. A burst waits one 16 ms frame per started
 * {@link MESSAGES_PER_FRAME} held, so the copies' share of a burst stays about the same at any size
 * (PERF-2): 5k–25k emit once per frame, 100k once per 4 frames (~15 per second). Below
 * {@link LARGE_WINDOW}, and for the first batch of a burst, every applied batch emits at once.
 */
const LARGE_WINDOW = 5_000;
const MESSAGES_PER_FRAME = 25_000;
const FRAME_MS = 16;
const coalesceDelay = (w: MessageWindow | undefined): number =>
  w === undefined || w.count <= LARGE_WINDOW ? 0 : FRAME_MS * Math.ceil(w.count / MESSAGES_PER_FRAME);
const EMPTY_IDENTITIES: readonly string[] = Object.freeze([]);

/**
 * One conversation, as observables and commands (STORE-4). Get it from `client.conversation(sid)`:
 * the same object for the same sid while it is in use. Observables are hot selectors over the store
 * and replay their current value; every command resolves only after its effect is in the store
 * (STORE-6), so reading right after `await` is never stale.
 *
 * @example
 * const conversation = client.conversation(sid);
 * conversation.messages$.subscribe(render); // shows the newest 30 messages
 * await conversation.loadOlder();          // the 30 before them
 * await conversation.sendMessage('hello'); // shows at once as 'sending', then 'sent'
 */
export class ConversationHandle {
  /**
   * The conversation with the user's membership (role, `lastReadMessageIndex`,
   * `unreadMessagesCount`, `notificationLevel`); null while it is not among the subscribed
   * conversations (not joined, left, or not synchronised yet).
   */
  readonly state$: Observable<Conversation | null>;
  /**
   * The loaded window of messages, ordered by index, de-duplicated, then this client's optimistic
   * sends (STORE-5, STORE-7). Subscribing is asking: the first subscription to a window that holds no
   * message loads the newest `initialPageSize` (30) messages (ROBUST-4); `loadOlder()` brings the
   * pages before them. Conversations nobody observes are not read. The window holds
   * at most `maxWindowMessages` (default 2,000) messages: live messages push the oldest out, and
   * scrolling back with `loadOlder()` pushes the newest out and detaches the window from the live end
   * (see `messagesWindow$`) until `loadNewer()` reaches it again (STORE-12). Windows of more than
   * 5,000 messages emit at most once per 16 ms frame during bursts (100k: once per 64 ms); every
   * command's effect shows before it resolves.
   */
  readonly messages$: Observable<readonly MessageView[]>;
  /** Whether older messages exist before the window, and whether it is detached from the live end. */
  readonly messagesWindow$: Observable<MessagesWindowState>;
  /** The live roster with each participant's read horizon, fetched on first subscription (STORE-9). */
  readonly participants$: Observable<readonly Participant[]>;
  /** Identities typing now, sorted; each leaves after the typing timeout or on their next message. */
  readonly typing$: Observable<readonly string[]>;
  /**
   * Counters behind a shared TTL cache (STORE-8). They move at once when the store knows the exact new
   * value — a new message in a conversation it holds, the user's own read horizon — and otherwise catch
   * up within `counterTtlMs` (ROBUST-3).
   */
  readonly messagesCount$: Observable<number>;
  readonly participantsCount$: Observable<number>;
  readonly unreadMessagesCount$: Observable<number>;

  private readonly views: MessageViews;
  /** Emits after a command put its effect in the store, so coalesced `messages$` shows it before the command resolves. */
  private readonly settled = new Subject<void>();
  private readonly counts$: Observable<ConversationCounts>;
  private lastTypingSentAt = -Infinity;
  private loading: { older?: Promise<LoadResult>; newer?: Promise<LoadResult> } = {};
  private participantHandles?: HandleCache<ParticipantHandle>;

  /** @internal Use `client.conversation(sid)`. */
  constructor(
    readonly sid: string,
    private readonly runtime: StoreRuntime,
    private readonly media?: MediaRuntime,
  ) {
    const store = runtime.store;
    this.views = new MessageViews((pending) => this.resend(pending), (key) => media?.viewsOf(key), (m) => runtime.myReactions.of(m));
    this.state$ = store.conversations.select(sid).pipe(map((c) => c ?? null));
    this.messages$ = store.windows.select(sid).pipe(
      coalesceLarge(coalesceDelay, runtime.scheduler, this.settled),
      map((w) => this.views.assemble(w)),
      distinctUntilChanged(),
    );
    let lastWindowState = INITIAL_WINDOW_STATE;
    this.messagesWindow$ = store.windows.select(sid).pipe(
      map((w) => {
        const hasOlder = w?.hasOlder ?? null;
        const hasNewer = w?.hasNewer ?? false;
        if (hasOlder !== lastWindowState.hasOlder || hasNewer !== lastWindowState.hasNewer) lastWindowState = Object.freeze({ hasOlder, hasNewer });
        return lastWindowState;
      }),
      distinctUntilChanged(),
    );
    let lastRoster: Roster | undefined;
    let lastList: readonly Participant[] = [];
    this.participants$ = store.rosters.select(sid).pipe(
      filter((r): r is Roster => r !== undefined && r.loaded),
      map((r) => {
        if (r.entities !== lastRoster?.entities) {
          const list = crKeys(r.entities).map((identity) => crGet(r.entities, identity)!);
          list.sort((a, b) => a.joinedAt - b.joinedAt || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
          lastList = Object.freeze(list);
        }
        lastRoster = r;
        return lastList;
      }),
      distinctUntilChanged(),
    );
    this.typing$ = store.typing.select(sid).pipe(
      map((t) => (t === undefined ? EMPTY_IDENTITIES : Object.freeze(Object.keys(t).sort()))),
      distinctUntilChanged((a, b) => a.length === b.length && a.every((x, i) => x === b[i])),
    );
    // Exact counts from the store move the counters at once; other changes make them stale (ROBUST-3).
    const changes = runtime.invalidationsOf(sid);
    this.counts$ = fromCall(() => runtime.request('conversations.counts', { sid }, { idempotent: true })).pipe(
      ttlCache<ConversationCounts>(runtime.options.counterTtlMs, {
        scheduler: runtime.scheduler,
        invalidate: changes.pipe(filter((c) => c === null)),
        known: changes.pipe(filter((c): c is ConversationCounts => c !== null)),
        until: runtime.closed$,
      }),
    );
    const counter = (pick: (c: ConversationCounts) => number) => this.counts$.pipe(map(pick), distinctUntilChanged());
    this.messagesCount$ = counter((c) => c.messagesCount);
    this.participantsCount$ = counter((c) => c.participantsCount);
    this.unreadMessagesCount$ = counter((c) => c.unreadMessagesCount);
  }

  /** The conversation as the store holds it now, or null. */
  get state(): Conversation | null {
    return crGet(this.runtime.store.state.conversations.entities, this.sid) ?? null;
  }

  /** Promise forms of the counters (STORE-8), served by the same cache. */
  getMessagesCount(): Promise<number> {
    return this.runtime.first(this.messagesCount$);
  }
  getParticipantsCount(): Promise<number> {
    return this.runtime.first(this.participantsCount$);
  }
  getUnreadMessagesCount(): Promise<number> {
    return this.runtime.first(this.unreadMessagesCount$);
  }

  // ───────────────────────────── history ─────────────────────────────

  /**
   * Loads the page of messages before the oldest one held (the newest page when none is held) into
   * `messages$`. When that takes the window past `maxWindowMessages`, the newest messages leave it and
   * it detaches from the live end (`messagesWindow$.hasNewer`). Concurrent calls share one request.
   */
  loadOlder(pageSize = DEFAULT_PAGE): Promise<LoadResult> {
    return (this.loading.older ??= this.load('backwards', pageSize).finally(() => (this.loading.older = undefined)));
  }

  /**
   * Loads the page after the newest message held (after scrolling back, a trim or a resync); the oldest
   * messages leave the window when it is full. `hasMore` is false once the window follows the live end
   * again.
   */
  loadNewer(pageSize = DEFAULT_PAGE): Promise<LoadResult> {
    return (this.loading.newer ??= this.load('forwards', pageSize).finally(() => (this.loading.newer = undefined)));
  }

  private async load(direction: 'backwards' | 'forwards', pageSize: number): Promise<LoadResult> {
    const page = await this.runtime.loadPage(this.sid, direction, pageSize);
    this.settled.next();
    const w = this.runtime.store.state.windows[this.sid];
    const hasMore = w === undefined ? page.hasMore : direction === 'backwards' ? (w.hasOlder ?? page.hasMore) : w.hasNewer;
    return { loaded: page.items.length, hasMore };
  }

  /**
   * Twilio-style paging: a page of `pageSize` messages before (`backwards`, the default) or after
   * `anchor` (exclusive; omitted: the newest page, or the oldest when `forwards`). A page that
   * borders or overlaps the loaded window is merged into `messages$`; others are returned only.
   * `prevPage()` goes to older messages, `nextPage()` to newer.
   */
  async getMessages(pageSize = DEFAULT_PAGE, anchor?: number, direction: 'backwards' | 'forwards' = 'backwards'): Promise<Paginator<SentMessage>> {
    // The store merges the page only where it borders the window, so `messages$` never shows a hole.
    const page = await this.runtime.fetchPage(this.sid, pageSize, anchor ?? null, direction);
    this.settled.next();
    const items = page.items.map((m) => this.viewOf(m));
    const first = page.items[0]?.index;
    const last = page.items[page.items.length - 1]?.index;
    const hasPrevPage = direction === 'backwards' ? page.hasMore : anchor !== undefined;
    const hasNextPage = direction === 'forwards' ? page.hasMore : anchor !== undefined;
    const none = () => Promise.reject(new ConversationsError('invalid_argument', 'There is no such page'));
    return {
      items,
      hasPrevPage,
      hasNextPage,
      prevPage: () => (hasPrevPage && first !== undefined ? this.getMessages(pageSize, first, 'backwards') : none()),
      nextPage: () => (hasNextPage && last !== undefined ? this.getMessages(pageSize, last, 'forwards') : none()),
    };
  }

  /** The view of `m` as `messages$` shows it (the store's copy when held). */
  private viewOf(m: Message): SentMessage {
    const w = this.runtime.store.state.windows[m.conversationSid];
    const e = w === undefined ? null : entryAt(w, m.index);
    return this.views.sentView(e !== null && !isTombstone(e) && e.version >= m.version ? e : m, w);
  }

  // ───────────────────────────── messages ─────────────────────────────

  /**
   * Sends a message optimistically (STORE-7): it appears in `messages$` at once as `'sending'`, then
   * `'sent'` with its index, or `'failed'` with `retry()`. Offline, it waits in order for the
   * connection. Resolves with the sent message once it is in the store; rejects with
   * `message_send_failed` (the reason in `cause`). With `media`, the files are uploaded first, one
   * after the other, and the message is sent once every one is stored (MEDIA-1).
   *
   * @example
   * const controller = new AbortController();
   * const sent = conversation.sendMessage({
   *   body: 'holiday',
   *   media: [{ contentType: 'image/jpeg', filename: 'beach.jpg', data: file }],
   *   signal: controller.signal, // a Cancel button calls controller.abort()
   * });
   */
  sendMessage(input: string | SendMessageOptions): Promise<SentMessage> {
    const { body = null, attributes = {}, media, signal, replyTo } = typeof input === 'string' ? { body: input } : input;
    const pending: PendingSend = {
      idempotencyKey: newIdempotencyKey(),
      conversationSid: this.sid,
      author: this.runtime.session.identity,
      body,
      attributes,
      createdAt: this.runtime.scheduler.now(),
      status: 'sending',
      error: null,
      ...(media && { withMedia: true as const }),
      ...(replyTo !== undefined && { replyTo }),
    };
    if (this.runtime.isClosed) return Promise.reject(new ConversationsError('client_shut_down'));
    if (media !== undefined) this.mediaRuntime().begin(pending.idempotencyKey, media);
    this.runtime.dispatch([{ type: 'sendQueued', pending }]);
    this.settled.next();
    return this.transmit(pending, signal);
  }

  /** @internal Sends again a send the persistent outbox restored, with its idempotency key (OFFLINE-2). */
  resendRestored(pending: PendingSend): void {
    if (this.runtime.isClosed) return;
    this.runtime.dispatch([{ type: 'sendQueued', pending }]);
    this.settled.next();
    this.transmit(pending).catch(() => undefined);
  }

  private resend(pending: PendingSend): Promise<SentMessage> {
    this.runtime.dispatch([{ type: 'sendRetried', conversationSid: this.sid, idempotencyKey: pending.idempotencyKey }]);
    return this.transmit(pending);
  }

  private async transmit(pending: PendingSend, signal?: AbortSignal): Promise<SentMessage> {
    const key = pending.idempotencyKey;
    try {
      const mediaSids = this.media?.viewsOf(key) === undefined ? undefined : await this.media!.upload(this.sid, key, signal);
      const message = await this.runtime.request(
        'messages.send',
        { sid: this.sid, body: pending.body, attributes: pending.attributes, idempotencyKey: key, ...(mediaSids && { mediaSids }), ...(pending.replyTo !== undefined && { replyTo: pending.replyTo }) },
        { idempotent: true },
      );
      this.runtime.dispatch([{ type: 'sendSucceeded', message }]);
      this.media?.finish(key);
      this.settled.next();
      return this.viewOf(message);
    } catch (cause) {
      const error = cause instanceof ConversationsError && cause.code === 'client_shut_down'
        ? cause
        : this.runtime.isClosed
        ? new ConversationsError('client_shut_down')
        : new ConversationsError('message_send_failed', `Sending failed: ${(cause as Error).message}`, { cause });
      this.runtime.dispatch([{ type: 'sendFailed', conversationSid: this.sid, idempotencyKey: pending.idempotencyKey, error }]);
      throw error;
    }
  }

  // ───────────────────────────── media ─────────────────────────────

  /**
   * A signed URL of a message's attachment (MEDIA-2), valid for the server's `urlTtlMs` (default 5
   * minutes) and carrying no token, so it can go straight into `<img src>` or a download link. Only
   * participants get one (`not_a_participant`).
   *
   * @example
   * const url = await conversation.getTemporaryContentUrl(message.media[0].sid);
   */
  async getTemporaryContentUrl(mediaSid: string): Promise<string> {
    this.runtime.assertOpen();
    return (await this.mediaRuntime().urls(mediaSid)).url;
  }

  /**
   * The signed URLs of an attachment (the file, and the preview of an image), renewed shortly before
   * they expire (`media.urlRenewLeadMs`) for as long as it is subscribed (MEDIA-2). Errors when a
   * request fails; completes at shutdown.
   *
   * @example
   * conversation.temporaryContentUrl$(media.sid).subscribe(({ url, previewUrl }) => (img.src = previewUrl ?? url));
   */
  temporaryContentUrl$(mediaSid: string): Observable<TemporaryMediaUrls> {
    return this.mediaRuntime().urls$(mediaSid);
  }

  private mediaRuntime(): MediaRuntime {
    if (this.media === undefined) throw new TypeError('options.media is not set (createMediaSupport)');
    return this.media;
  }

  /** Edits a message (author or admin); resolves once the store holds the new version. */
  async updateMessage(index: number, changes: { body?: string | null; attributes?: JsonValue }): Promise<Message> {
    const message = await this.runtime.request('messages.update', { sid: this.sid, index, ...changes, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'messageFetched', message }]);
    this.settled.next();
    return message;
  }

  /** Removes a message; resolves once it is gone from `messages$`. */
  async removeMessage(index: number): Promise<void> {
    await this.runtime.request('messages.remove', { sid: this.sid, index, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'messageRemovedLocally', conversationSid: this.sid, index }]);
    this.settled.next();
  }

  /**
   * Adds your reaction to the message at `index` (PARITY-3): one emoji, needing `reactToMessage`, not
   * authorship. Resolves once the store holds the message with its new `reactions`; reacting twice
   * changes nothing.
   */
  react(index: number, emoji: string): Promise<Message> {
    return this.reaction('messages.react', index, emoji);
  }

  /** Takes your reaction back; one that is not there changes nothing. */
  unreact(index: number, emoji: string): Promise<Message> {
    return this.reaction('messages.unreact', index, emoji);
  }

  private async reaction(op: 'messages.react' | 'messages.unreact', index: number, emoji: string): Promise<Message> {
    const message = await this.runtime.request(op, { sid: this.sid, index, emoji, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    // Also when its event came first (it does: events precede the reply) or never will (no change).
    this.runtime.myReactions.changed(this.sid, index, emoji, op === 'messages.react');
    this.runtime.dispatch([{ type: 'messageFetched', message }]);
    this.settled.next();
    return message;
  }

  /**
   * The replies to the message at `index` among the messages `messages$` holds, live (PARITY-3):
   * observing it observes the window, so replies arrive as they are sent. Older replies than the window
   * holds are read with {@link getThread}. Each emission looks only at the messages after the parent
   * (replies come after what they answer), found by binary search: a thread of a recent message costs
   * little however long the window.
   */
  thread$(index: number): Observable<readonly SentMessage[]> {
    let last: readonly SentMessage[] = [];
    return this.messages$.pipe(
      map((messages) => {
        const replies: SentMessage[] = [];
        for (let i = firstAfter(messages, index); i < messages.length; i++) {
          const m = messages[i]!;
          if (m.status === 'sent' && m.replyTo === index) replies.push(m);
        }
        if (replies.length !== last.length || replies.some((r, i) => r !== last[i])) last = replies;
        return last;
      }),
      distinctUntilChanged(),
    );
  }

  /**
   * The replies to the message at `index` (PARITY-3), newest page first like {@link getMessages}:
   * `prevPage()` goes to older replies. Replies are messages of this conversation, so they also appear
   * in `messages$`, each with `replyTo`.
   */
  async getThread(index: number, pageSize = DEFAULT_PAGE, anchor?: number): Promise<Paginator<Message>> {
    const page = await this.runtime.request('messages.thread', { sid: this.sid, index, pageSize, ...(anchor === undefined ? {} : { anchor }) }, { idempotent: true });
    const first = page.items[0]?.index;
    return {
      items: page.items,
      hasPrevPage: page.hasMore,
      hasNextPage: anchor !== undefined,
      prevPage: () => (page.hasMore && first !== undefined ? this.getThread(index, pageSize, first) : Promise.reject(new ConversationsError('invalid_argument', 'There is no such page'))),
      nextPage: () => Promise.reject(new ConversationsError('invalid_argument', 'Threads page from the newest: use prevPage()')),
    };
  }

  /**
   * Who has read the message at `index` (PARITY-3): the identities of the other participants whose
   * read horizon reached it, in roster order. Derived from the roster's read horizons, so it costs no
   * request beyond the roster's (read once, then live); emits again only when the list changes.
   */
  readBy$(index: number): Observable<readonly string[]> {
    const me = this.runtime.session.identity;
    let last: readonly string[] = [];
    return this.participants$.pipe(
      map((participants) => {
        const readers = participants.filter((p) => p.identity !== me && p.lastReadMessageIndex !== null && p.lastReadMessageIndex >= index).map((p) => p.identity);
        if (readers.length !== last.length || readers.some((r, i) => r !== last[i])) last = readers;
        return last;
      }),
      distinctUntilChanged(),
    );
  }

  // ───────────────────────────── participants ─────────────────────────────

  /** A participant by identity (PARITY-2), from the roster (read once if nobody observes it); rejects with `participant_not_found`. */
  async getParticipantByIdentity(identity: string): Promise<Participant> {
    return this.findParticipant((p) => p.identity === identity);
  }

  /** A participant by sid (`MB…`); rejects with `participant_not_found`. */
  async getParticipantBySid(sid: string): Promise<Participant> {
    return this.findParticipant((p) => p.sid === sid);
  }

  /**
   * A participant as a handle (PARITY-2, Twilio's `Participant`): `state$`, `updateAttributes`,
   * `remove`. The same object per identity while in use; no request until `state$` is observed.
   *
   * @example
   * conversation.participant('bob').state$.subscribe((bob) => showRole(bob.roleSid));
   */
  participant(identity: string): ParticipantHandle {
    return (this.participantHandles ??= new HandleCache((id) => new ParticipantHandle(id, this, this.runtime))).get(identity);
  }

  private async findParticipant(match: (p: Participant) => boolean): Promise<Participant> {
    const roster = this.runtime.store.state.participants[this.sid];
    let items: readonly Participant[];
    if (roster?.loaded === true) items = crKeys(roster.entities).map((identity) => crGet(roster.entities, identity)!);
    else items = (await this.runtime.request('participants.list', { sid: this.sid }, { idempotent: true })).items;
    const found = items.find(match);
    if (found === undefined) throw new ConversationsError('participant_not_found', 'No participant of this conversation matches');
    return found;
  }

  /**
   * Changes a participant's attributes or role (PARITY-2; for attributes alone,
   * `participant(identity).updateAttributes` is Twilio's form): your own attributes need `editOwnParticipantAttributes`, anyone else's or a role
   * `editAnyParticipantAttributes`. Resolves once the roster (when loaded) shows it.
   */
  async updateParticipant(identity: string, changes: { attributes?: JsonValue; role?: ParticipantRole; roleSid?: string }): Promise<Participant> {
    const participant = await this.runtime.request('participants.update', { sid: this.sid, identity, ...changes, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'participantFetched', participant }]);
    return participant;
  }

  // ───────────────────────────── membership ─────────────────────────────

  /** Joins the conversation; resolves once it is among `client.conversations$`. */
  async join(): Promise<Conversation> {
    return this.applyConversation(await this.runtime.request('conversations.join', { sid: this.sid, idempotencyKey: newIdempotencyKey() }, { idempotent: true }));
  }

  /** Leaves the conversation; resolves once it is gone from `client.conversations$`. */
  async leave(): Promise<void> {
    await this.runtime.request('conversations.leave', { sid: this.sid, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'conversationRemovedLocally', sid: this.sid }]);
  }

  /** Deletes the conversation (needs `deleteConversation`); resolves once it is gone from the store. */
  async delete(): Promise<void> {
    await this.runtime.request('conversations.delete', { sid: this.sid, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'conversationRemovedLocally', sid: this.sid }]);
  }

  /**
   * Adds a participant (needs `addParticipant`); resolves once the roster (when loaded) shows them.
   * `role` is the channel admin or channel user role in short, `roleSid` any conversation role; you can
   * only give a role whose permissions you hold yourself.
   */
  async add(identity: string, options: { attributes?: JsonValue; role?: ParticipantRole; roleSid?: string } = {}): Promise<Participant> {
    const participant = await this.runtime.request(
      'participants.add',
      { sid: this.sid, identity, ...options, idempotencyKey: newIdempotencyKey() },
      { idempotent: true },
    );
    this.runtime.dispatch([{ type: 'participantFetched', participant }]);
    return participant;
  }

  /** Removes a participant (needs `removeParticipant`); resolves once the roster no longer shows them. */
  async removeParticipant(identity: string): Promise<void> {
    await this.runtime.request('participants.remove', { sid: this.sid, identity, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'participantRemovedLocally', conversationSid: this.sid, identity }]);
  }

  // ───────────────────────────── conversation fields ─────────────────────────────

  updateAttributes(attributes: JsonValue): Promise<Conversation> {
    return this.update({ attributes });
  }
  updateFriendlyName(friendlyName: string | null): Promise<Conversation> {
    return this.update({ friendlyName });
  }
  updateUniqueName(uniqueName: string | null): Promise<Conversation> {
    return this.update({ uniqueName });
  }

  private async update(changes: { friendlyName?: string | null; uniqueName?: string | null; attributes?: JsonValue }): Promise<Conversation> {
    return this.applyConversation(
      await this.runtime.request('conversations.update', { sid: this.sid, ...changes, idempotencyKey: newIdempotencyKey() }, { idempotent: true }),
    );
  }

  /** `'muted'` suppresses push for this conversation. */
  async setNotificationLevel(level: NotificationLevel): Promise<Conversation> {
    return this.applyConversation(await this.runtime.request('conversations.setNotificationLevel', { sid: this.sid, level }, { idempotent: true }));
  }

  // ───────────────────────────── read horizon ─────────────────────────────

  /** Moves the read horizon forward to `index` (never backwards). */
  advanceLastReadMessageIndex(index: number): Promise<Conversation> {
    return this.setLastRead(index, 'advance');
  }
  /** Sets the read horizon to `index` (null: nothing read). */
  updateLastReadMessageIndex(index: number | null): Promise<Conversation> {
    return this.setLastRead(index, 'set');
  }
  /** Marks every message read. */
  async setAllMessagesRead(): Promise<Conversation> {
    const last = this.state?.lastMessageIndex ?? (await this.runtime.request('conversations.get', { sid: this.sid }, { idempotent: true })).lastMessageIndex;
    return this.setLastRead(last, 'set');
  }
  /** Marks every message unread. */
  setAllMessagesUnread(): Promise<Conversation> {
    return this.setLastRead(null, 'set');
  }

  private async setLastRead(index: number | null, mode: 'advance' | 'set'): Promise<Conversation> {
    return this.applyConversation(await this.runtime.request('conversations.setLastRead', { sid: this.sid, index, mode }, { idempotent: true }));
  }

  /** Read-your-writes guard (STORE-6): the result goes into the store when it is newer than what is there. */
  private applyConversation(conversation: Conversation): Conversation {
    this.runtime.dispatch([{ type: 'conversationFetched', conversation }]);
    return this.state ?? conversation;
  }

  // ───────────────────────────── typing ─────────────────────────────

  /**
   * Tells the others that the user is typing. Call it on every keystroke: it sends at most one
   * signal per `typingThrottleMs`.
   */
  async typing(): Promise<void> {
    this.runtime.assertOpen();
    const now = this.runtime.scheduler.now();
    if (now - this.lastTypingSentAt < this.runtime.options.typingThrottleMs) return;
    this.lastTypingSentAt = now;
    await this.runtime.request('conversations.typing', { sid: this.sid });
  }
}


/** The position of the first message after `index` in a `messages$` array (sent messages by index, then local ones). */
function firstAfter(messages: readonly MessageView[], index: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = messages[mid]!.index;
    if (at !== null && at <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
