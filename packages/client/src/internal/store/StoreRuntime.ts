import { defer, firstValueFrom, Observable, Subject, Subscription, type SchedulerLike } from 'rxjs';
import type { OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import type { RequestOptions, Session, SessionStart } from '../Session.js';
import { ConversationsError } from '../../ConversationsError.js';
import type { Discontinuity } from '../../ClientEvents.js';
import { retryWithBackoff } from '../../operators/retryWithBackoff.js';
import { Store } from './Store.js';
import type { StoreAction } from './StoreAction.js';
import { routeFrames } from './routeFrames.js';
import { EventStreams } from './EventStreams.js';
import { crGet } from './chunkedRecord.js';

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
  /** Reports of background failures (synchronisation); never thrown. */
  readonly onError?: (message: string, error: unknown) => void;
}

export const DEFAULT_STORE_OPTIONS = {
  typingTimeoutMs: 5_000,
  typingThrottleMs: 3_000,
  counterTtlMs: 10_000,
  windowGraceMs: 60_000,
  windowKeepMessages: 100,
} as const;

const SYNC_PAGE_SIZE = 100;
const RESYNC_WINDOW_PAGE = 50;

/**
 * The store and its effects, on top of a {@link Session}: routes inbound batches into the store,
 * synchronises on each fresh or resynchronising session, schedules typing expiry, trims what nobody
 * observes, watches users, and issues requests. Handles and the facade are thin layers over it.
 */
export class StoreRuntime {
  readonly store: Store;
  readonly events = new EventStreams();
  readonly discontinuity$ = new Subject<Discontinuity>();
  private readonly running = new Subscription();
  private readonly timers = new Subscription();
  private readonly unobservedSince = new Map<string, number>();
  private readonly invalidations = new Map<string, Subject<void>>();
  private syncGeneration = 0;
  private sweepPending = false;
  private closed = false;

  constructor(
    readonly session: Session,
    readonly options: StoreOptions,
  ) {
    this.store = new Store(() => session.identity, {
      window: {
        onFirst: (sid) => {
          this.unobservedSince.delete(`w:${sid}`);
          this.store.dispatch([{ type: 'windowOpened', conversationSid: sid }]);
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
        onFirst: (identity) => this.watchUsers([identity]),
        onLast: (identity) => {
          this.store.dispatch([{ type: 'userUnwatched', identity }]);
          if (!this.closed) this.session.request('users.unsubscribe', { identities: [identity] }, { idempotent: true }).catch(() => undefined);
        },
      },
    });
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
      for (const action of batch.actions) {
        if (action.type === 'typingSignal' && action.identity !== this.session.identity) this.scheduleTypingExpiry(action);
      }
      if (this.invalidations.size > 0) {
        const { before, after } = batch;
        for (const sid of batch.touched) {
          const subject = this.invalidations.get(sid);
          if (subject === undefined) continue;
          const changed =
            crGet(before.conversations.entities, sid) !== crGet(after.conversations.entities, sid) ||
            before.participants[sid] !== after.participants[sid];
          if (changed) subject.next();
        }
      }
      if (batch.before.windows !== batch.after.windows || batch.before.participants !== batch.after.participants) this.scheduleSweep();
    }));
    return this;
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
   * Emits when a batch changed conversation `sid` or its roster: what makes its counters stale
   * (STORE-8). Keyed, so batches for other conversations cost nothing here.
   */
  invalidationsOf(sid: string): Observable<void> {
    return new Observable<void>((subscriber) => {
      let subject = this.invalidations.get(sid);
      if (subject === undefined) {
        subject = new Subject<void>();
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

  // ───────────────────────────── synchronisation ─────────────────────────────

  private onSession(start: SessionStart): void {
    this.dispatch([{ type: 'sessionStarted', user: start.user, resume: start.resume }]);
    // The watch set of `users.subscribe` belongs to a connection: renew it on every new one.
    const watched = [...this.store.users.keys()];
    if (watched.length > 0) this.watchUsers(watched);
    const generation = ++this.syncGeneration;
    if (start.resume === 'resumed' && this.store.state.sync.status === 'completed') return;
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
      if (resync) {
        const state = this.store.state;
        const windows = Object.keys(state.windows);
        const rosters = Object.keys(state.participants);
        await Promise.all([
          ...windows.map(async (sid) => {
            const page = await this.retrying(() => this.request('messages.list', { sid, pageSize: RESYNC_WINDOW_PAGE, direction: 'backwards' }, { idempotent: true }));
            if (current()) {
              this.dispatch([{ type: 'messagesPageLoaded', conversationSid: sid, items: page.items, direction: 'backwards', reset: true, hasMore: page.hasMore }]);
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
    } catch (error) {
      if (!current()) return;
      this.options.onError?.('synchronisation failed', error);
      this.dispatch([{ type: 'syncStatusChanged', status: 'failed' }]);
    }
  }

  /** Retries retryable failures a few times with backoff (the core already waits out disconnections). */
  retrying<T>(call: () => Promise<T>): Promise<T> {
    return firstValueFrom(
      defer(call).pipe(
        retryWithBackoff({
          initialDelayMs: 250,
          maxDelayMs: 5_000,
          multiplier: 2,
          jitter: 0.5,
          maxRetries: 4,
          scheduler: this.scheduler,
          shouldRetry: (e) => !this.closed && e instanceof ConversationsError && e.retryable && e.code !== 'client_shut_down',
        }),
      ),
    );
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

  private scheduleSweep(delay = this.options.windowGraceMs): void {
    if (this.sweepPending || this.closed) return;
    this.sweepPending = true;
    const sub = this.scheduler.schedule(() => {
      this.timers.remove(sub);
      this.sweepPending = false;
      this.sweep();
    }, delay);
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
      if (state.windows[sid]!.count > this.options.windowKeepMessages && due(`w:${sid}`)) {
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
  }
}

/** Every rejection the SDK hands out is a ConversationsError (CONN-10). */
export function toConversationsError(error: unknown): ConversationsError {
  if (error instanceof ConversationsError) return error;
  return new ConversationsError('internal_error', error instanceof Error ? error.message : String(error), { cause: error });
}
