import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { Conversation, User } from '@rx-conversations/protocol';
import type { StoreAction } from './StoreAction.js';
import { initialStoreState, type MessageWindow, type Roster, type StoreState } from './StoreState.js';
import { reduceBatch, type BatchChanges, type ReduceSettings } from './rootReducer.js';
import { KeyedSubjects } from './KeyedSubjects.js';
import { crGet } from './chunkedRecord.js';

/** One applied batch, for effects and event streams that run after the state is committed. */
export interface AppliedBatch {
  readonly actions: readonly StoreAction[];
  readonly before: StoreState;
  readonly after: StoreState;
  /** Conversation sids the batch touched (keys of the keyed families). */
  readonly touched: ReadonlySet<string>;
}

/** Hooks run when the first observer of a key arrives and when the last one leaves. */
export interface StoreHooks {
  readonly window?: { onFirst?: (sid: string) => void; onLast?: (sid: string) => void };
  readonly roster?: { onFirst?: (sid: string) => void; onLast?: (sid: string) => void };
  readonly user?: { onFirst?: (identity: string) => void; onLast?: (identity: string) => void };
}

/**
 * The one store (STORE-1): a state value, a `dispatch` that applies a batch through the root reducer
 * in one `produce`, a global `state$` for the few global selectors, and keyed families that notify
 * per-conversation observers only when their key changed (PERF-3).
 */
export class Store {
  private current: StoreState = initialStoreState;
  private readonly stateSubject = new BehaviorSubject<StoreState>(initialStoreState);
  private readonly appliedSubject = new Subject<AppliedBatch>();
  private dispatching = false;
  private readonly queue: (readonly StoreAction[])[] = [];

  /** Emits once per applied batch that changed something. */
  readonly state$: Observable<StoreState> = this.stateSubject.asObservable();
  /** Emits after each applied batch, after keyed observers were notified. */
  readonly applied$: Observable<AppliedBatch> = this.appliedSubject.asObservable();

  readonly conversations = new KeyedSubjects<Conversation | undefined>((sid) => crGet(this.current.conversations.entities, sid));
  readonly windows: KeyedSubjects<MessageWindow | undefined>;
  readonly rosters: KeyedSubjects<Roster | undefined>;
  readonly typing = new KeyedSubjects<Readonly<Record<string, number>> | undefined>((sid) => this.current.typing[sid]);
  readonly users: KeyedSubjects<User | undefined>;

  constructor(
    /** The user's identity (reducers need it to count unread messages); read at each batch. */
    private readonly identity: () => string,
    hooks: StoreHooks = {},
    /** Reducer settings; default: unbounded windows. */
    private readonly settings?: ReduceSettings,
  ) {
    this.windows = new KeyedSubjects((sid) => this.current.windows[sid], hooks.window);
    this.rosters = new KeyedSubjects((sid) => this.current.participants[sid], hooks.roster);
    this.users = new KeyedSubjects((identity) => this.current.users[identity], hooks.user);
  }

  get state(): StoreState {
    return this.current;
  }

  /**
   * Applies a batch. Re-entrant calls (an observer dispatching while being notified) are queued and
   * applied right after, in order, so observers never see a half-applied batch.
   */
  dispatch(actions: readonly StoreAction[]): void {
    if (actions.length === 0) return;
    this.queue.push(actions);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.queue.length > 0) this.apply(this.queue.shift()!);
    } finally {
      this.dispatching = false;
    }
  }

  private apply(actions: readonly StoreAction[]): void {
    const before = this.current;
    const changes: BatchChanges = { conversations: new Set(), users: new Set() };
    const after = reduceBatch(before, actions, this.identity(), this.settings, changes);
    if (after === before) return;
    this.current = after;
    const touched = changes.conversations;
    for (const sid of touched) {
      if (before.conversations !== after.conversations) this.conversations.notify(sid);
      if (before.windows !== after.windows) this.windows.notify(sid);
      if (before.participants !== after.participants) this.rosters.notify(sid);
      if (before.typing !== after.typing) this.typing.notify(sid);
    }
    if (before.users !== after.users) for (const identity of changes.users) this.users.notify(identity);
    this.stateSubject.next(after);
    this.appliedSubject.next({ actions, before, after, touched });
  }

  /** Completes every observable the store handed out (CONN-8). */
  complete(): void {
    this.conversations.complete();
    this.windows.complete();
    this.rosters.complete();
    this.typing.complete();
    this.users.complete();
    this.stateSubject.complete();
    this.appliedSubject.complete();
  }
}
