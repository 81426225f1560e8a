import { AsyncSubject, BehaviorSubject, distinctUntilChanged, Subject, Subscription, type Observable } from 'rxjs';
import type { OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import type { ConnectionState } from '../ConnectionState.js';
import { ConversationsError } from '../ConversationsError.js';
import type { ClientCoreLike } from '../ConversationsClient.js';
import type { InboundFrame, RequestOptions, SessionStart } from '../internal/Session.js';
import type { TokenExpiryNotice } from '../internal/core/TokenLifecycle.js';
import { newIdempotencyKey } from '../internal/newIdempotencyKey.js';
import { BatchRing } from './BatchRing.js';
import type { TabBatch, TabError, TabMessage } from './tabMessages.js';

/** The part of the Web Locks API a tab uses (`navigator.locks`). */
export interface LockManagerLike {
  request(name: string, options: { readonly signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

/** The part of `BroadcastChannel` a tab uses. */
export interface BroadcastChannelLike {
  onmessage: ((event: { readonly data: unknown }) => unknown) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** What a {@link TabCore} is made of. */
export interface TabCoreConfig {
  readonly token: string;
  /** The token's identity: the store needs it before any session (the persistent cache is keyed by it). */
  readonly identity: string;
  /** Names the lock and the channel: tabs share a socket only with tabs of the same identity and server. */
  readonly name: string;
  /** Opens this tab's own socket, when it comes to lead. */
  readonly connect: (token: string) => ClientCoreLike;
  readonly channel: BroadcastChannelLike;
  readonly locks: LockManagerLike;
  /** Batches kept for followers that fall behind or join a new leader. */
  readonly ringSize: number;
}

/** A follower's call, until the leader answers it. */
interface PendingCall {
  readonly id: number;
  readonly op: OpName;
  readonly args: unknown;
  readonly idempotent: boolean;
  readonly timeoutMs: number | undefined;
  /** The leader it was posted to; null while no leader is known. */
  sentTo: string | null;
  readonly resolve: (result: never) => void;
  readonly reject: (error: ConversationsError) => void;
}

const shutDownError = (): ConversationsError => new ConversationsError('client_shut_down');

function toTabError(error: unknown): TabError {
  if (error instanceof ConversationsError) {
    return error.details === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, details: error.details };
  }
  return { code: 'internal_error', message: String(error) };
}

const fromTabError = (error: TabError): ConversationsError =>
  new ConversationsError(error.code, error.message, error.details === undefined ? undefined : { details: error.details });

/**
 * One tab's connection when several tabs of an app share one websocket (OFFLINE-3). It is what the
 * client's store talks to ({@link ClientCoreLike}), whichever role the tab has:
 *
 * - **Leader**: the tab that holds the Web Lock of this identity and server. It runs the real
 *   connection core, applies what the socket brings, and posts each batch, numbered by log position,
 *   on the BroadcastChannel; it runs the followers' calls on its socket and answers them there.
 * - **Follower**: every other tab. It joins the leader (`hello` → `welcome`) and applies the same
 *   batches, so its store mirrors the leader's; its calls go to the leader.
 *
 * When the leader goes away its lock is released and one follower gets it: it opens a socket that
 * resumes from the position of its own store, and the other followers join it, catching up from the
 * batches it kept. Every tab applies only events past its own position and only when nothing
 * between is missing (it asks again, or re-reads its state, when something is), so no event is lost
 * or applied twice across the change. Calls in flight are posted again to the new leader when they
 * are safe to repeat (idempotent), and fail with `connection_lost` otherwise, as on a dropped socket.
 */
export class TabCore implements ClientCoreLike {
  readonly inbound$: Observable<readonly InboundFrame[]>;
  readonly sessions$: Observable<SessionStart>;
  readonly connectionState$: Observable<ConnectionState>;
  readonly tokenAboutToExpire$: Observable<TokenExpiryNotice>;
  readonly tokenExpired$: Observable<void>;
  readonly connectionError$: Observable<ConversationsError>;
  readonly shutdown$: Observable<void>;
  /** This tab's name on the channel. */
  readonly tabId: string;

  private readonly config: TabCoreConfig;
  private readonly inbound = new Subject<readonly InboundFrame[]>();
  private readonly sessions = new Subject<SessionStart>();
  private readonly state = new BehaviorSubject<ConnectionState>('connecting');
  private readonly aboutToExpire = new Subject<TokenExpiryNotice>();
  private readonly expired = new Subject<void>();
  private readonly errors = new Subject<ConversationsError>();
  private readonly shutdownSubject = new AsyncSubject<void>();
  private readonly ring: BatchRing;
  private readonly running = new Subscription();
  private readonly stopWaiting = new AbortController();

  private role: 'follower' | 'leader' | 'closed' = 'follower';
  /** The connection core, while this tab leads. */
  private core: ClientCoreLike | null = null;
  private leaderId: string | null = null;
  /** Log position of the last event the store applied; null before the first session or restore. */
  private applied: number | null = null;
  /** The latest session this tab knows of (its own or its leader's). */
  private session: SessionStart | null = null;
  /** A follower has joined a leader's stream. */
  private joined = false;
  /** A follower asked to join (or to catch up) and waits for the answer. */
  private joining = false;
  /** The persisted position to start from (OFFLINE-1), until it is read. */
  private restoring: Promise<unknown> | null = null;
  private currentToken: string;
  private readonly pending = new Map<number, PendingCall>();
  private nextCallId = 1;
  /** Leader: followers that asked to join before this tab had a position to give them. */
  private readonly waitingFollowers = new Map<string, number | null>();
  /** Leader: who watches each user (`users.subscribe` belongs to the one socket all tabs share). */
  private readonly watchers = new Map<string, Set<string>>();
  private releaseLock: () => void = () => undefined;
  private closed: Promise<void> | null = null;

  constructor(config: TabCoreConfig) {
    this.config = config;
    this.currentToken = config.token;
    this.ring = new BatchRing(config.ringSize);
    this.tabId = newIdempotencyKey();
    this.inbound$ = this.inbound.asObservable();
    this.sessions$ = this.sessions.asObservable();
    this.connectionState$ = this.state.pipe(distinctUntilChanged());
    this.tokenAboutToExpire$ = this.aboutToExpire.asObservable();
    this.tokenExpired$ = this.expired.asObservable();
    this.connectionError$ = this.errors.asObservable();
    this.shutdown$ = this.shutdownSubject.asObservable();
    config.channel.onmessage = (event) => this.onMessage(event.data as TabMessage);
    config.locks
      .request(config.name, { signal: this.stopWaiting.signal }, () => {
        if (this.role !== 'follower') return Promise.resolve();
        return new Promise<void>((release) => {
          this.releaseLock = release;
          this.lead();
        });
      })
      .catch(() => undefined); // aborted at shutdown
    // After the caller had its chance to call `resumeFrom` (persistence does, right after construction).
    void Promise.resolve().then(() => this.join());
    // A closing tab says goodbye, so the leader stops watching users for it (a page kept in the
    // back-forward cache is not closing: it may come back).
    const page = globalThis as { addEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void; removeEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void };
    if (typeof page.addEventListener === 'function') {
      const onPageHide = (event: { persisted?: boolean }): void => {
        if (event.persisted !== true) this.post({ k: 'bye', from: this.tabId });
      };
      page.addEventListener('pagehide', onPageHide);
      this.running.add(() => page.removeEventListener?.('pagehide', onPageHide));
    }
  }

  get identity(): string {
    return this.config.identity;
  }

  /** The latest token of the tab that leads (media requests and a takeover use it). */
  get token(): string {
    return this.core?.token ?? this.currentToken;
  }

  get lastAppliedSeq(): number | null {
    return this.applied;
  }

  /** True while this tab holds the socket. */
  get leading(): boolean {
    return this.role === 'leader';
  }

  resumeFrom(position: Promise<number | null>): void {
    const gate = position.then(
      (seq) => {
        if (seq !== null && this.applied === null && !this.joined) this.applied = seq;
      },
      () => undefined,
    );
    this.restoring = gate;
    if (this.core !== null) this.core.resumeFrom?.(gate.then(() => this.applied));
  }

  request<O extends OpName>(op: O, args: OpArgs<O>, options: RequestOptions = {}): Promise<OpResult<O>> {
    if (this.role === 'closed') return Promise.reject(shutDownError());
    if (this.role === 'leader') return this.perform(this.tabId, op, args, options) as Promise<OpResult<O>>;
    return new Promise<OpResult<O>>((resolve, reject) => {
      const call: PendingCall = {
        id: this.nextCallId++,
        op,
        args,
        idempotent: options.idempotent === true,
        timeoutMs: options.timeoutMs,
        sentTo: null,
        resolve: resolve as (result: never) => void,
        reject,
      };
      this.pending.set(call.id, call);
      if (this.leaderId !== null) this.post(this.callMessage(call, this.leaderId));
    });
  }

  updateToken(token: string): Promise<void> {
    if (this.role === 'closed') return Promise.reject(shutDownError());
    this.currentToken = token;
    return this.core?.updateToken(token) ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (this.closed !== null) return this.closed;
    const wasLeader = this.role === 'leader';
    this.role = 'closed';
    this.post({ k: 'bye', from: this.tabId });
    this.stopWaiting.abort();
    for (const call of this.pending.values()) call.reject(shutDownError());
    this.pending.clear();
    if (!wasLeader) this.state.next('disconnecting');
    const coreDone = this.core?.shutdown() ?? Promise.resolve();
    this.closed = coreDone.then(() => {
      this.running.unsubscribe();
      // The lock goes to a follower only now: the socket it opens never overlaps this one's replies.
      this.releaseLock();
      this.config.channel.onmessage = null;
      this.config.channel.close();
      this.state.next('disconnected');
      this.state.complete();
      this.inbound.complete();
      this.sessions.complete();
      this.aboutToExpire.complete();
      this.expired.complete();
      this.errors.complete();
      this.shutdownSubject.next();
      this.shutdownSubject.complete();
    });
    return this.closed;
  }

  // ───────────────────────────── the channel ─────────────────────────────

  private post(message: TabMessage): void {
    try {
      this.config.channel.postMessage(message);
    } catch {
      // A closed channel (shutdown raced a reply): nobody is listening any more.
    }
  }

  private onMessage(message: TabMessage): void {
    if (this.role === 'closed' || message === null || typeof message !== 'object' || message.from === this.tabId) return;
    switch (message.k) {
      case 'leader':
        this.onLeader(message.from);
        break;
      case 'hello':
        if (this.role === 'leader') this.welcome(message.from, message.lastSeq);
        break;
      case 'welcome':
        if (message.to === this.tabId && this.role === 'follower') this.onWelcome(message);
        break;
      case 'session':
        if (this.role === 'follower' && this.joined && message.from === this.leaderId) this.onLeaderSession(message.session, message.token);
        break;
      case 'batch':
        this.onBatch(message.batch);
        break;
      case 'state':
        if (this.role === 'follower' && message.from === this.leaderId) this.state.next(message.state);
        break;
      case 'error':
        if (this.role === 'follower' && message.from === this.leaderId) this.errors.next(fromTabError(message.error));
        break;
      case 'call':
        if (this.role === 'leader' && message.to === this.tabId) this.onCall(message);
        break;
      case 'reply':
        if (message.to === this.tabId) this.onReply(message.id, message.result, message.error);
        break;
      case 'bye':
        if (this.role === 'leader') this.forget(message.from);
        break;
    }
  }

  // ───────────────────────────── following ─────────────────────────────

  /** Asks the leader for its stream from this tab's position, once that position is known. */
  private join(): void {
    if (this.role !== 'follower' || this.joining) return;
    this.joining = true;
    void (this.restoring ?? Promise.resolve()).then(() => {
      if (this.role === 'follower') this.post({ k: 'hello', from: this.tabId, lastSeq: this.applied });
      else this.joining = false;
    });
  }

  /** Another tab leads now: calls go to it, and this tab joins its stream. */
  private onLeader(leaderId: string): void {
    if (this.role !== 'follower') return;
    this.adoptLeader(leaderId);
    this.joining = false;
    this.join();
  }

  private adoptLeader(leaderId: string): void {
    if (this.leaderId === leaderId) return;
    this.leaderId = leaderId;
    for (const call of [...this.pending.values()]) {
      if (call.sentTo !== null && !call.idempotent) {
        this.pending.delete(call.id);
        call.reject(new ConversationsError('connection_lost', 'the tab that held the connection closed with the call in flight'));
      } else {
        this.post(this.callMessage(call, leaderId));
      }
    }
  }

  private onWelcome(message: Extract<TabMessage, { k: 'welcome' }>): void {
    this.joining = false;
    if (this.leaderId === null) this.adoptLeader(message.from);
    const first = !this.joined;
    this.joined = true;
    this.currentToken = message.token;
    this.state.next(message.state);
    const { session } = message;
    if (session.resume === 'resumed' && this.applied !== null) {
      this.session = session;
      if (first) this.sessions.next(session);
      for (const batch of message.batches) this.onBatch(batch);
      return;
    }
    this.onLeaderSession(session, message.token);
  }

  /** The leader's socket started a session: what it renumbered, this tab re-reads too. */
  private onLeaderSession(session: SessionStart, token: string): void {
    this.session = session;
    this.currentToken = token;
    if (session.resume !== 'resumed' || this.applied === null) {
      this.applied = session.headSeq;
      this.ring.clear();
    }
    this.sessions.next(session);
  }

  /**
   * Applies what of `batch` this tab has not applied yet. A batch that starts past this tab's
   * position means something in between was missed (a follower that joined a new leader, say): the
   * tab asks its leader to catch it up instead of applying it.
   */
  private onBatch(batch: TabBatch): void {
    const applied = this.applied;
    if (applied === null || this.role === 'closed' || (this.role === 'follower' && !this.joined)) return;
    if (batch.seq > applied && batch.prev > applied) {
      if (this.role === 'follower' && !this.joining) this.join();
      return;
    }
    const frames = batch.frames.filter((frame) => frame.type !== 'ev' || frame.seq > applied);
    if (frames.length === 0) return;
    this.apply({ prev: applied, seq: Math.max(applied, batch.seq), frames });
  }

  private apply(batch: TabBatch): void {
    this.inbound.next(batch.frames);
    // Applied once next() returned (the store applies synchronously).
    this.applied = batch.seq;
    this.ring.push(batch);
  }

  private onReply(id: number, result: unknown, error: TabError | undefined): void {
    const call = this.pending.get(id);
    if (call === undefined) return;
    this.pending.delete(id);
    if (error !== undefined) call.reject(fromTabError(error));
    else call.resolve(result as never);
  }

  private callMessage(call: PendingCall, leaderId: string): TabMessage {
    call.sentTo = leaderId;
    return { k: 'call', from: this.tabId, to: leaderId, id: call.id, op: call.op, args: call.args, idempotent: call.idempotent, ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }) };
  }

  // ───────────────────────────── leading ─────────────────────────────

  /** This tab got the lock: it opens the socket, from its own position, and tells the others. */
  private lead(): void {
    this.role = 'leader';
    this.leaderId = this.tabId;
    this.joining = false;
    const core = this.config.connect(this.currentToken);
    this.core = core;
    const position = this.joined ? Promise.resolve(this.applied) : (this.restoring ?? Promise.resolve()).then(() => this.applied);
    core.resumeFrom?.(position);
    this.running.add(core.sessions$.subscribe((session) => this.onOwnSession(session)));
    this.running.add(core.inbound$.subscribe((frames) => this.onOwnFrames(frames)));
    this.running.add(core.connectionState$.subscribe((state) => {
      this.state.next(state);
      this.post({ k: 'state', from: this.tabId, state });
    }));
    this.running.add(core.connectionError$.subscribe((error) => {
      this.errors.next(error);
      this.post({ k: 'error', from: this.tabId, error: toTabError(error) });
    }));
    this.running.add(core.tokenAboutToExpire$.subscribe((notice) => this.aboutToExpire.next(notice)));
    this.running.add(core.tokenExpired$.subscribe(() => this.expired.next()));
    this.post({ k: 'leader', from: this.tabId });
    // This tab's own calls posted to the old leader: as a dropped socket would treat them.
    for (const call of [...this.pending.values()]) {
      this.pending.delete(call.id);
      if (call.sentTo !== null && !call.idempotent) {
        call.reject(new ConversationsError('connection_lost', 'the tab that held the connection closed with the call in flight'));
      } else {
        this.perform(this.tabId, call.op, call.args as never, { idempotent: call.idempotent, ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }) }).then(call.resolve as (r: unknown) => void, call.reject);
      }
    }
  }

  private onOwnSession(session: SessionStart): void {
    this.session = session;
    if (session.resume !== 'resumed' || this.applied === null) {
      this.applied = session.headSeq;
      this.ring.clear();
    }
    this.sessions.next(session);
    this.post({ k: 'session', from: this.tabId, session, token: this.token });
    for (const [follower, lastSeq] of this.waitingFollowers) this.welcome(follower, lastSeq);
    this.waitingFollowers.clear();
  }

  /** What the socket brings: applied here past this tab's position (a late batch of the old leader may have gone further), then posted. */
  private onOwnFrames(frames: readonly InboundFrame[]): void {
    const applied = this.applied;
    if (applied === null) return;
    let seq = applied;
    const fresh = frames.filter((frame) => {
      if (frame.type !== 'ev') return true;
      if (frame.seq <= applied) return false;
      seq = Math.max(seq, frame.seq);
      return true;
    });
    if (fresh.length === 0) return;
    const batch: TabBatch = { prev: applied, seq, frames: fresh };
    this.apply(batch);
    this.post({ k: 'batch', from: this.tabId, batch });
  }

  /** Answers a follower's `hello`: replay what it missed when this tab still holds it, else a fresh start or a resync. */
  private welcome(follower: string, lastSeq: number | null): void {
    const session = this.session;
    const head = this.applied;
    if (session === null || head === null) {
      this.waitingFollowers.set(follower, lastSeq);
      return;
    }
    const replay = lastSeq === null ? null : this.ring.after(lastSeq, head);
    const resume: SessionStart['resume'] = lastSeq === null ? 'fresh' : replay === null ? 'resync' : 'resumed';
    this.post({
      k: 'welcome',
      from: this.tabId,
      to: follower,
      session: { ...session, resume, headSeq: head },
      batches: replay ?? [],
      state: this.state.getValue(),
      token: this.token,
    });
  }

  private onCall(message: Extract<TabMessage, { k: 'call' }>): void {
    const reply = (result: unknown, error?: TabError): void => {
      // This tab is closing and its socket failed the call: not the follower's failure. It hears of
      // the next leader and sends the call there (or fails it as on a dropped connection).
      if (error !== undefined && this.role === 'closed') return;
      this.post({ k: 'reply', from: this.tabId, to: message.from, id: message.id, ...(error === undefined ? { result } : { error }) });
    };
    const options: RequestOptions = message.timeoutMs === undefined ? { idempotent: message.idempotent } : { idempotent: message.idempotent, timeoutMs: message.timeoutMs };
    this.perform(message.from, message.op, message.args as never, options).then(
      (result) => reply(result),
      (error: unknown) => reply(undefined, toTabError(error)),
    );
  }

  /**
   * Runs a call of `tab` on this tab's socket. The set of watched users belongs to the socket all
   * tabs share, so it is counted per tab: a user is unwatched only when no tab watches them.
   */
  private perform(tab: string, op: OpName, args: OpArgs<OpName>, options: RequestOptions): Promise<unknown> {
    const core = this.core;
    if (core === null) return Promise.reject(shutDownError());
    if (op === 'users.subscribe') {
      for (const identity of (args as OpArgs<'users.subscribe'>).identities) {
        let tabs = this.watchers.get(identity);
        if (tabs === undefined) this.watchers.set(identity, (tabs = new Set()));
        tabs.add(tab);
      }
    } else if (op === 'users.unsubscribe') {
      const unwatched = (args as OpArgs<'users.unsubscribe'>).identities.filter((identity) => this.unwatch(identity, tab));
      if (unwatched.length === 0) return Promise.resolve(null);
      return core.request('users.unsubscribe', { identities: unwatched }, options);
    }
    return core.request(op, args, options);
  }

  /** Removes `tab` from the watchers of `identity`; true when nobody watches them any more. */
  private unwatch(identity: string, tab: string): boolean {
    const tabs = this.watchers.get(identity);
    if (tabs === undefined) return true;
    tabs.delete(tab);
    if (tabs.size > 0) return false;
    this.watchers.delete(identity);
    return true;
  }

  /** A follower went away: the users only it watched are unwatched. */
  private forget(tab: string): void {
    this.waitingFollowers.delete(tab);
    const unwatched = [...this.watchers.keys()].filter((identity) => this.watchers.get(identity)!.has(tab) && this.unwatch(identity, tab));
    if (unwatched.length > 0) this.core?.request('users.unsubscribe', { identities: unwatched }, { idempotent: true }).catch(() => undefined);
  }
}
