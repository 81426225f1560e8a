import { AsyncSubject, firstValueFrom, Observable, Subject, Subscription, type SchedulerLike } from 'rxjs';
import type { Conversation, ConversationCounts, MessagesPage, OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import type { RequestOptions, Session, SessionStart } from '../Session.js';
import { ConversationsError } from '../../ConversationsError.js';
import type { Discontinuity } from '../../ClientEvents.js';
import { retryWithBackoff } from '../../operators/retryWithBackoff.js';
import { backoffDelay } from '../../operators/backoffDelay.js';
import { fromCall } from '../fromCall.js';
import { Store, type AppliedBatch } from './Store.js';
import type { StoreAction } from './StoreAction.js';
import { conversationKeyOf, entryOf } from './actionCatalog.js';
import { routeFrames } from './routeFrames.js';
import { EventStreams } from './EventStreams.js';
import { crGet } from './chunkedRecord.js';
import { highestIndex, lowestIndex } from './messageWindow.js';

/** Store settings (defaults in {@link DEFAULT_STORE_OPTIONS}). */
export interface StoreOptions {
  readonly scheduler: SchedulerLike;
  /** A typist leaves `typing$` this long after their last signal (STORE-9). */
  readonly typingTimeoutMs: number;
  /** `typing()` sends at most one signal per this period. */
  readonly typingThrottleMs: number;
  /** Counters' cache TTL (STORE-8). */
  readonly counterTtlMs: number;
  /** Windows and rosters nobody observes are trimmed/dropped after this long (STORE-12). */
  readonly windowGraceMs: number;
  /** Messages an unobserved window keeps when trimmed. */
  readonly windowKeepMessages: number;
  /** Live messages any window holds at most, observed or not (STORE-12); Infinity: unbounded. */
  readonly maxWindowMessages: number;
  /** The page the first observer of an empty window loads (ROBUST-4); 0: none. */
  readonly initialPageSize: number;
  /** Randomness for back-off jitter, [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Reports of background failures (synchronisation); never thrown. */
  readonly onError?: (message: string, error: unknown) => void;
}

export const DEFAULT_STORE_OPTIONS = {
  typingTimeoutMs: 5_000,
  typingThrottleMs: 3_000,
  counterTtlMs: 10_000,
  windowGraceMs: 60_000,
  windowKeepMessages: 100,
  maxWindowMessages: 2_000,
  initialPageSize: 30,
} as const;

const SYNC_PAGE_SIZE = 100;
const RESYNC_WINDOW_PAGE = 50;
/** After a resync, forwards pages fetched at most to bring a reset window back to the live end. */
const RESYNC_CATCH_UP_PAGES = 4;
/** Reads of a conversation that events kept overtaking before its snapshot is taken as it is. */
const DISCOVERY_ATTEMPTS = 5;
/** Back-off between attempts of a synchronisation that failed (ROBUST-3): 1 s, 2 s, 4 s… up to 60 s. */
const SYNC_RETRY = { initialDelayMs: 1_000, maxDelayMs: 60_000, multiplier: 2, jitter: 0.5 };

/**
 * The store and its effects, on top of a {@link Session}: routes inbound batches into the store,
 * synchronises on each fresh or resynchronising session, schedules typing expiry, trims what nobody
 * observes, watches users, and issues requests. Handles and the facade are thin layers over it.
 */
export class StoreRuntime {
  readonly store: Store;
  readonly events = new EventStreams();
  readonly discontinuity$ = new Subject<Discontinuity>();
  /** Emits once and completes at shutdown; replays to late subscribers (ROBUST-2). */
  readonly closed$: Observable<void>;
  private readonly closing = new AsyncSubject<void>();
  private readonly running = new Subscription();
  private readonly timers = new Subscription();
  private readonly unobservedSince = new Map<string, number>();
  private readonly invalidations = new Map<string, Subject<ConversationCounts | null>>();
  /** Conversations being fetched because an event named them before the store knew them. */
  private readonly discovering = new Map<string, { removed: boolean; done: Promise<void> }>();
  /** Such conversations seen while the list was being read: looked at once it is complete. */
  private readonly undiscovered = new Set<string>();
  /** First pages being loaded because someone started observing an empty window (ROBUST-4). */
  private readonly initialLoads = new Map<string, Promise<void>>();
  /** @internal The persistent cache being read (OFFLINE-1): first pages wait for it, it may hold them. */
  restoring: Promise<unknown> | undefined;
  private syncGeneration = 0;
  /** Failed attempts of the current synchronisation; its retry timer. */
  private syncFailures = 0;
  private syncRetry: Subscription | undefined;
  /** When the pending sweep runs (Infinity: none pending), and its timer. */
  private sweepAt = Infinity;
  private sweepTimer: Subscription | undefined;
  private closed = false;

  constructor(
    readonly session: Session,
    readonly options: StoreOptions,
  ) {
    this.closed$ = this.closing.asObservable();
    this.store = new Store(() => session.identity, {
      window: {
        onFirst: (sid) => {
          this.unobservedSince.delete(`w:${sid}`);
          this.store.dispatch([{ type: 'windowOpened', conversationSid: sid }]);
          this.loadInitialPage(sid);
        },
        onLast: (sid) => this.markUnobserved(`w:${sid}`),
      },
      roster: {
        onFirst: (sid) => {
          this.unobservedSince.delete(`r:${sid}`);
          this.openRoster(sid);
        },
        onLast: (sid) => this.markUnobserved(`r:${sid}`),
      },
      user: {
        onFirst: (identity) => {
          this.watchUsers([identity]);
          this.events.userSubscribed.next(identity);
        },
        onLast: (identity) => {
          this.store.dispatch([{ type: 'userUnwatched', identity }]);
          if (!this.closed) this.session.request('users.unsubscribe', { identities: [identity] }, { idempotent: true }).catch(() => undefined);
          this.events.userUnsubscribed.next(identity);
        },
      },
    }, { maxWindowMessages: options.maxWindowMessages });
  }

  get scheduler(): SchedulerLike {
    return this.options.scheduler;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Starts consuming the session. */
  start(): this {
    this.running.add(
      this.session.inbound$.subscribe((frames) => this.store.dispatch(routeFrames(frames, this.scheduler.now()))),
    );
    this.running.add(this.session.sessions$.subscribe((start) => this.onSession(start)));
    this.running.add(this.store.applied$.subscribe((batch) => {
      this.events.emit(batch);
      this.findUnknownConversations(batch);
      for (const action of batch.actions) {
        if (action.type === 'typingSignal' && action.identity !== this.session.identity) this.scheduleTypingExpiry(action);
      }
      if (this.invalidations.size > 0) this.countsChanged(batch);
      if (batch.before.windows !== batch.after.windows || batch.before.participants !== batch.after.participants) this.scheduleSweep();
    }));
    return this;
  }

  /** Throws `client_shut_down` after shutdown (ROBUST-2: also calls the store could answer alone). */
  assertOpen(): void {
    if (this.closed) throw new ConversationsError('client_shut_down');
  }

  /** The first value of `source`, or `client_shut_down` when it completes without one (shutdown). */
  async first<T>(source: Observable<T>): Promise<T> {
    this.assertOpen();
    const none = {} as T;
    const value = await firstValueFrom(source, { defaultValue: none });
    if (value === none) throw new ConversationsError('client_shut_down');
    return value;
  }

  dispatch(actions: readonly StoreAction[]): void {
    if (!this.closed) this.store.dispatch(actions);
  }

  /** A request through the session, rejecting at once after shutdown. */
  request<O extends OpName>(op: O, args: OpArgs<O>, options?: RequestOptions): Promise<OpResult<O>> {
    if (this.closed) return Promise.reject(new ConversationsError('client_shut_down'));
    return this.session.request(op, args, options).catch((error: unknown) => {
      throw toConversationsError(error);
    });
  }

  /**
   * Emits when a batch changed conversation `sid` or its roster: its exact counts when the store knows
   * them (ROBUST-3), else null — the counters are stale (STORE-8). Keyed, so batches for other
   * conversations cost nothing here.
   */
  invalidationsOf(sid: string): Observable<ConversationCounts | null> {
    return new Observable<ConversationCounts | null>((subscriber) => {
      let subject = this.invalidations.get(sid);
      if (subject === undefined) {
        subject = new Subject<ConversationCounts | null>();
        this.invalidations.set(sid, subject);
      }
      const entry = subject;
      const subscription = entry.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (!entry.observed && this.invalidations.get(sid) === entry) this.invalidations.delete(sid);
      };
    });
  }

  /**
   * Tells the counters of each conversation a batch changed what they are now. The store's counts are
   * exact when it held the conversation and every change came from a new message (one more, unread
   * unless the user's own) or a server snapshot (a command's reply, such as the user's own read
   * horizon): those go out as they are. Any other change (a removal whose author is unknown, a
   * roster change, a list page) only marks the counters stale, to be re-read within the TTL.
   */
  private countsChanged(batch: AppliedBatch): void {
    const { before, after } = batch;
    let inexact: Set<string> | null = null;
    let allInexact = false;
    for (const action of batch.actions) {
      if (action.type === 'messageAdded' || action.type === 'conversationFetched') continue;
      const { slices } = entryOf(action);
      if (!slices.includes('conversations') && !slices.includes('participants')) continue;
      const sid = conversationKeyOf(action);
      if (sid === undefined) allInexact = true;
      else (inexact ??= new Set()).add(sid);
    }
    for (const sid of batch.touched) {
      const subject = this.invalidations.get(sid);
      if (subject === undefined) continue;
      const conversation = crGet(after.conversations.entities, sid);
      const changed = crGet(before.conversations.entities, sid) !== conversation || before.participants[sid] !== after.participants[sid];
      if (!changed) continue;
      subject.next(allInexact || inexact?.has(sid) === true ? null : countsOf(conversation));
    }
  }

  // ───────────────────────────── synchronisation ─────────────────────────────

  private onSession(start: SessionStart): void {
    this.dispatch([{ type: 'sessionStarted', user: start.user, resume: start.resume }]);
    // The watch set of `users.subscribe` belongs to a connection: renew it on every new one.
    const watched = [...this.store.users.keys()];
    if (watched.length > 0) this.watchUsers(watched);
    const generation = ++this.syncGeneration;
    this.syncFailures = 0;
    this.syncRetry?.unsubscribe();
    const { status, cached } = this.store.state.sync;
    if (cached) {
      // OFFLINE-1: the handshake resumed from the position of the cache the store shows, and the
      // replay that follows brings it up to date. A server that cannot resume from it gets the cache
      // replaced by a full synchronisation, never mixed with it.
      if (start.resume === 'resumed') {
        this.dispatch([{ type: 'syncStatusChanged', status: 'completed', cached: false }]);
        return;
      }
      // Windows someone is looking at come back, read afresh by the resynchronisation.
      const observed = Object.keys(this.store.state.windows).filter((sid) => this.store.windows.isObserved(sid));
      this.dispatch([
        { type: 'conversationsListSynced', listed: [], asOfSeq: 0 },
        { type: 'syncStatusChanged', status: 'started', cached: false },
        ...observed.map((sid): StoreAction => ({ type: 'windowOpened', conversationSid: sid })),
      ]);
    }
    if (start.resume === 'resumed' && status === 'completed') return;
    void this.synchronize(generation, start.resume === 'resync');
  }

  private async synchronize(generation: number, resync: boolean): Promise<void> {
    const current = () => generation === this.syncGeneration && !this.closed;
    try {
      this.dispatch([{ type: 'syncStatusChanged', status: 'started' }]);
      const listed: string[] = [];
      let cursor: string | null = null;
      let firstAsOf: number | null = null;
      do {
        const args: OpArgs<'conversations.list'> = cursor === null ? { pageSize: SYNC_PAGE_SIZE } : { pageSize: SYNC_PAGE_SIZE, cursor };
        const page = await this.retrying(() => this.request('conversations.list', args, { idempotent: true }));
        if (!current()) return;
        firstAsOf ??= page.asOfSeq;
        for (const c of page.items) listed.push(c.sid);
        this.dispatch([{ type: 'conversationsPageLoaded', items: page.items, asOfSeq: page.asOfSeq }]);
        cursor = page.nextCursor;
      } while (cursor !== null);
      this.dispatch([
        { type: 'conversationsListSynced', listed, asOfSeq: firstAsOf ?? 0 },
        { type: 'syncStatusChanged', status: 'conversationsListCompleted' },
      ]);
      // Conversations that events named while the list was read, and the list missed (read before
      // them), are being fetched now: `completed` means the list is whole.
      await Promise.all([...this.discovering.values()].map((d) => d.done));
      if (!current()) return;
      if (resync) {
        const state = this.store.state;
        const windows = Object.keys(state.windows);
        const rosters = Object.keys(state.participants);
        await Promise.all([
          ...windows.map(async (sid) => {
            const page = await this.retrying(() => this.request('messages.list', { sid, pageSize: RESYNC_WINDOW_PAGE, direction: 'backwards' }, { idempotent: true }));
            if (!current()) return;
            this.dispatch([
              { type: 'messagesPageLoaded', conversationSid: sid, items: page.items, direction: 'backwards', reset: true, hasMore: page.hasMore, anchor: null, asOfSeq: page.asOfSeq },
            ]);
            // Live messages that arrived after that read are not in it (the window is detached then):
            // page forwards to the live end.
            for (let i = 0; i < RESYNC_CATCH_UP_PAGES && current() && this.store.state.windows[sid]?.hasNewer === true; i++) {
              await this.retrying(() => this.loadPage(sid, 'forwards', RESYNC_WINDOW_PAGE));
            }
          }),
          ...rosters.map(async (sid) => {
            const page = await this.retrying(() => this.request('participants.list', { sid }, { idempotent: true }));
            if (current()) this.dispatch([{ type: 'participantsLoaded', conversationSid: sid, items: page.items, asOfSeq: page.asOfSeq }]);
          }),
        ]);
        if (!current()) return;
        this.discontinuity$.next({ reason: 'resync', conversationSids: windows });
      }
      this.dispatch([{ type: 'syncStatusChanged', status: 'completed' }]);
      this.syncFailures = 0;
    } catch (error) {
      if (!current()) return;
      this.options.onError?.('synchronisation failed', error);
      this.dispatch([{ type: 'syncStatusChanged', status: 'failed' }]);
      // Not left `failed` until the next reconnect: tried again with back-off (ROBUST-3). A new
      // session starts its own synchronisation and cancels this retry.
      const delay = backoffDelay(++this.syncFailures, SYNC_RETRY, this.options.random);
      const retry = this.scheduler.schedule(() => {
        this.timers.remove(retry);
        if (current()) void this.synchronize(generation, resync);
      }, delay);
      this.syncRetry = retry;
      this.timers.add(retry);
    }
  }

  /** Retries retryable failures a few times with backoff (the core already waits out disconnections). */
  retrying<T>(call: () => Promise<T>): Promise<T> {
    return firstValueFrom(
      fromCall(call).pipe(
        retryWithBackoff({
          initialDelayMs: 250,
          maxDelayMs: 5_000,
          multiplier: 2,
          jitter: 0.5,
          maxRetries: 4,
          scheduler: this.scheduler,
          random: this.options.random,
          shouldRetry: (e) => !this.closed && e instanceof ConversationsError && e.retryable && e.code !== 'client_shut_down',
        }),
      ),
    );
  }

  // ───────────────────────────── history ─────────────────────────────

  /**
   * Reads the page of history next to what the window of `sid` holds — before its oldest message
   * (`backwards`) or after its newest (`forwards`); the newest page when it holds none — and merges it.
   * While the page is in flight the window's bound drops from the other end, so the page still borders
   * the window when it arrives (STORE-12).
   */
  async loadPage(sid: string, direction: 'backwards' | 'forwards', pageSize: number): Promise<MessagesPage> {
    // After the first page an observer asked for, not beside it (the window would hold nothing yet).
    const initial = this.initialLoads.get(sid);
    if (initial !== undefined) await initial;
    this.dispatch([{ type: 'windowOpened', conversationSid: sid }]);
    const w = this.store.state.windows[sid];
    const anchor = w === undefined ? null : direction === 'backwards' ? lowestIndex(w) : highestIndex(w);
    return this.fetchPage(sid, pageSize, anchor, anchor === null ? 'backwards' : direction);
  }

  /**
   * Subscribing is asking (ROBUST-4): the first observer of a window that holds no message loads the
   * newest `initialPageSize` messages. Conversations nobody observes are not read.
   */
  private loadInitialPage(sid: string): void {
    if (this.restoring !== undefined) {
      void this.restoring.then(() => this.loadInitialPage(sid));
      return;
    }
    const size = this.options.initialPageSize;
    if (size === 0 || this.closed || (this.store.state.windows[sid]?.count ?? 0) > 0 || this.initialLoads.has(sid)) return;
    const load = this.fetchPage(sid, size, null, 'backwards').then(
      () => undefined,
      (error: unknown) => {
        if (!this.closed) this.options.onError?.(`messages.list failed for ${sid}`, error);
      },
    );
    this.initialLoads.set(sid, load);
    void load.then(() => this.initialLoads.delete(sid));
  }

  /**
   * Reads a page of `sid`'s history from `anchor` (exclusive; null: the newest page backwards, the
   * oldest forwards) and merges it into the window when it borders what the window holds.
   */
  async fetchPage(sid: string, pageSize: number, anchor: number | null, direction: 'backwards' | 'forwards'): Promise<MessagesPage> {
    const args: OpArgs<'messages.list'> = anchor === null ? { sid, pageSize, direction } : { sid, pageSize, direction, anchor };
    this.dispatch([{ type: 'pageRequested', conversationSid: sid, direction }]);
    let page: MessagesPage;
    try {
      page = await this.request('messages.list', args, { idempotent: true });
    } catch (error) {
      this.dispatch([{ type: 'pageSettled', conversationSid: sid, direction }]);
      throw error;
    }
    this.dispatch([
      { type: 'messagesPageLoaded', conversationSid: sid, items: page.items, direction, reset: false, hasMore: page.hasMore, anchor, asOfSeq: page.asOfSeq },
      { type: 'pageSettled', conversationSid: sid, direction },
    ]);
    return page;
  }

  // ───────────────────────────── conversations the store does not know ─────────────────────────────

  /**
   * An event for a conversation the store does not hold (the user was added and the event overtook
   * `conversationAdded`, or the list was read before the event; Twilio's "missed conversations") must
   * not be lost: the conversation is fetched and added. While the list is being read, such sids wait
   * for it to complete (it may well bring them).
   */
  private findUnknownConversations(batch: AppliedBatch): void {
    const { actions, before, after } = batch;
    let unknown: Set<string> | null = null;
    let listed = false;
    /** The last sid found held in `after` (events come in runs for one conversation). */
    let known: string | undefined;
    for (const action of actions) {
      if (entryOf(action).discovers === true) {
        const sid = conversationKeyOf(action)!;
        // Held now: nothing to find (checked first: a stream of events for held conversations pays one lookup each).
        if (sid === known || crGet(after.conversations.entities, sid) !== undefined) {
          known = sid;
          continue;
        }
        // Not when the store already knew something newer for it (a removal): the event is stale.
        const stale = (crGet(before.conversations.lastSeq, sid) ?? -1) >= (action as { seq: number }).seq;
        if (!stale) (unknown ??= new Set()).add(sid);
      } else if (action.type === 'conversationRemoved' || action.type === 'conversationRemovedLocally') {
        unknown?.delete(action.sid);
        this.undiscovered.delete(action.sid);
        const pending = this.discovering.get(action.sid);
        if (pending !== undefined) pending.removed = true;
      } else if (action.type === 'conversationsListSynced') {
        listed = true;
      }
    }
    const listing = after.sync.status === 'started';
    if (unknown !== null) {
      for (const sid of unknown) {
        if (listing) this.undiscovered.add(sid);
        else this.discover(sid);
      }
    }
    if (listed && !listing && this.undiscovered.size > 0) {
      const waiting = [...this.undiscovered];
      this.undiscovered.clear();
      for (const sid of waiting) if (crGet(after.conversations.entities, sid) === undefined) this.discover(sid);
    }
  }

  /**
   * Fetches conversation `sid` (one request at a time per sid) and adds it. Events for it that
   * arrive while the request is in flight may or may not be in the answer, so it is read again until a
   * read is not overtaken (at most {@link DISCOVERY_ATTEMPTS} times); after that the counters are
   * semi-real-time until the next event. A removal meanwhile cancels it.
   */
  private discover(sid: string): void {
    if (this.closed || this.discovering.has(sid)) return;
    const entry = { removed: false, done: Promise.resolve() };
    this.discovering.set(sid, entry);
    const seqOf = () => crGet(this.store.state.conversations.lastSeq, sid) ?? 0;
    const run = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const asked = seqOf();
        const conversation = await this.retrying(() => this.request('conversations.get', { sid }, { idempotent: true }));
        if (this.closed || entry.removed || crGet(this.store.state.conversations.entities, sid) !== undefined) return;
        if (seqOf() === asked || attempt >= DISCOVERY_ATTEMPTS) {
          this.dispatch([{ type: 'conversationFetched', conversation }]);
          return;
        }
      }
    };
    entry.done = run()
      .catch((error: unknown) => {
        if (!this.closed) this.options.onError?.(`conversations.get failed for ${sid}`, error);
      })
      .finally(() => this.discovering.delete(sid));
  }

  // ───────────────────────────── rosters and users ─────────────────────────────

  private openRoster(sid: string): void {
    const roster = this.store.state.participants[sid];
    if (roster?.loaded === true) return;
    this.dispatch([{ type: 'participantsRequested', conversationSid: sid }]);
    this.request('participants.list', { sid }, { idempotent: true }).then(
      (page) => this.dispatch([{ type: 'participantsLoaded', conversationSid: sid, items: page.items, asOfSeq: page.asOfSeq }]),
      (error: unknown) => this.options.onError?.(`participants.list failed for ${sid}`, error),
    );
  }

  private watchUsers(identities: string[]): void {
    for (let i = 0; i < identities.length; i += 100) {
      const chunk = identities.slice(i, i + 100);
      this.request('users.subscribe', { identities: chunk }, { idempotent: true }).then(
        (result) => this.dispatch([{ type: 'usersLoaded', users: result.items.filter((u) => this.store.users.isObserved(u.identity)) }]),
        (error: unknown) => this.options.onError?.('users.subscribe failed', error),
      );
    }
  }

  // ───────────────────────────── timers ─────────────────────────────

  private scheduleTypingExpiry(action: Extract<StoreAction, { type: 'typingSignal' }>): void {
    const sub = this.scheduler.schedule(() => {
      this.timers.remove(sub);
      this.dispatch([{ type: 'typingExpired', conversationSid: action.conversationSid, identity: action.identity, at: action.at }]);
    }, this.options.typingTimeoutMs);
    this.timers.add(sub);
  }

  private markUnobserved(key: string): void {
    this.unobservedSince.set(key, this.scheduler.now());
    this.scheduleSweep();
  }

  /** Makes a sweep run within `delay`: an earlier due time replaces a later pending one, never the reverse. */
  private scheduleSweep(delay = this.options.windowGraceMs): void {
    if (this.closed) return;
    const at = this.scheduler.now() + delay;
    if (at >= this.sweepAt) return;
    if (this.sweepTimer !== undefined) {
      this.timers.remove(this.sweepTimer);
      this.sweepTimer.unsubscribe();
    }
    this.sweepAt = at;
    const sub = this.scheduler.schedule(() => {
      this.timers.remove(sub);
      this.sweepTimer = undefined;
      this.sweepAt = Infinity;
      this.sweep();
    }, delay);
    this.sweepTimer = sub;
    this.timers.add(sub);
  }

  /** STORE-12: trims windows and drops rosters nobody has observed for `windowGraceMs`. */
  private sweep(): void {
    const now = this.scheduler.now();
    const state = this.store.state;
    const actions: StoreAction[] = [];
    let next = Infinity;
    const due = (key: string): boolean => {
      let since = this.unobservedSince.get(key);
      if (since === undefined) {
        since = now;
        this.unobservedSince.set(key, now);
      }
      const at = since + this.options.windowGraceMs;
      if (at <= now) return true;
      next = Math.min(next, at);
      return false;
    };
    for (const sid of Object.keys(state.windows)) {
      if (this.store.windows.isObserved(sid)) continue;
      const w = state.windows[sid]!;
      if ((w.count > this.options.windowKeepMessages || w.hasNewer) && due(`w:${sid}`)) {
        actions.push({ type: 'windowTrimmed', conversationSid: sid, keep: this.options.windowKeepMessages });
      }
    }
    for (const sid of Object.keys(state.participants)) {
      if (!this.store.rosters.isObserved(sid) && due(`r:${sid}`)) {
        actions.push({ type: 'rosterDropped', conversationSid: sid });
        this.unobservedSince.delete(`r:${sid}`);
      }
    }
    for (const key of [...this.unobservedSince.keys()]) {
      const sid = key.slice(2);
      if (key.startsWith('w:') ? state.windows[sid] === undefined : state.participants[sid] === undefined) this.unobservedSince.delete(key);
    }
    this.dispatch(actions);
    if (next !== Infinity) this.scheduleSweep(next - now);
  }

  /** Stops everything and completes every observable (CONN-8). */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.syncGeneration++;
    this.running.unsubscribe();
    this.timers.unsubscribe();
    this.store.complete();
    this.events.complete();
    this.discontinuity$.complete();
    for (const s of this.invalidations.values()) s.complete();
    this.invalidations.clear();
    this.closing.next();
    this.closing.complete();
  }
}

/** The counters a held conversation's entity states; null when it is not held or has no membership. */
function countsOf(conversation: Conversation | undefined): ConversationCounts | null {
  const membership = conversation?.membership;
  if (conversation === undefined || membership == null) return null;
  const { messagesCount, participantsCount } = conversation;
  return { messagesCount, participantsCount, unreadMessagesCount: membership.unreadMessagesCount };
}

/** Every rejection the SDK hands out is a ConversationsError (CONN-10). */
export function toConversationsError(error: unknown): ConversationsError {
  if (error instanceof ConversationsError) return error;
  return new ConversationsError('internal_error', error instanceof Error ? error.message : String(error), { cause: error });
}
