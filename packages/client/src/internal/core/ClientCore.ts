import {
  AsyncSubject,
  BehaviorSubject,
  distinctUntilChanged,
  filter,
  firstValueFrom,
  map,
  Observable,
  Subject,
  Subscription,
  type SchedulerLike,
} from 'rxjs';
import {
  StreamPositions,
  AUTH_SUBPROTOCOL_PREFIX,
  errorCodeForClose,
  isDeniedCloseCode,
  isErrorCode,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type ErrorCode,
  type OpArgs,
  type OpName,
  type OpResult,
  type ServerFrame,
  type User,
  type WelcomeFrame,
} from '@rx-conversations/protocol';
import { validateOptions, type ClientOptions, type ResolvedClientOptions } from '../../ClientOptions.js';
import type { PlatformSignal } from '../../PlatformHooks.js';
import type { ConnectionState } from '../../ConnectionState.js';
import { ConversationsError } from '../../ConversationsError.js';
import type { InboundFrame, RequestOptions, Session, SessionStart } from '../Session.js';
import { authProbe } from './authProbe.js';
import { backoffDelay } from '../../operators/backoffDelay.js';
import {
  INITIAL_STATE,
  PHASES,
  publicState,
  retryDelay,
  transition,
  type MachineEvent,
  type MachineState,
} from './connectionMachine.js';
import { createCoreLog, type CoreLog } from './CoreLog.js';
import { RequestQueue, type Transmit } from './RequestQueue.js';
import { SocketLink } from './SocketLink.js';
import { decodeTokenClaims } from './tokenClaims.js';
import { TokenLifecycle, type TokenExpiryNotice } from './TokenLifecycle.js';

/** How long a connection must stay up before a drop counts as a fresh failure rather than a flap or a loss. */
const STABLE_CONNECTION_MS = 10_000;

const shutDownError = (): ConversationsError => new ConversationsError('client_shut_down');

/** An effect that calls `raise` after `delayMs`, unless unsubscribed first. */
const after = (scheduler: SchedulerLike, delayMs: number, raise: () => void): Observable<never> =>
  new Observable<never>(() => scheduler.schedule(raise, delayMs));

/**
 * The connection core (CONN-1..10): one websocket at a time, its lifecycle as a declarative state
 * machine ({@link PHASES}), reconnection with backoff and resume, heartbeat and the request queue; the
 * token's expiry and renewal are a {@link TokenLifecycle} it drives. It implements {@link Session} for
 * the store, and the lifecycle surface the public `ConversationsClient` delegates to. Every timer runs
 * on `options.scheduler`.
 *
 * @example
 * const core = new ClientCore(token, { url: 'ws://127.0.0.1:8080', WebSocket });
 * await firstValueFrom(core.connectionState$.pipe(filter((state) => state === 'connected')));
 * const page = await core.request('conversations.list', {}, { idempotent: true });
 * await core.shutdown();
 */
export class ClientCore implements Session {
  /** Durable events (exactly once, in order) and signals, one emission per websocket message. */
  readonly inbound$: Observable<readonly InboundFrame[]>;
  /** One emission per `welcome`. */
  readonly sessions$: Observable<SessionStart>;
  /** The public state; replays the current one, emits on change only, completes after `disconnected` at shutdown. */
  readonly connectionState$: Observable<ConnectionState>;
  /** The token expires within `tokenRefreshLeadMs`, or the server said so; once per token (CONN-7). */
  readonly tokenAboutToExpire$: Observable<TokenExpiryNotice>;
  /** The token expired, or the server refused it; once per token (CONN-7). */
  readonly tokenExpired$: Observable<void>;
  /** Why the connection was refused or closed, and token provider failures (CONN-10). */
  readonly connectionError$: Observable<ConversationsError>;
  /** Sessions the server could not resume: the store re-read its state; tell the app (CONN-5). */
  readonly discontinuity$: Observable<SessionStart>;
  /** Emits once and completes at shutdown; replays to late subscribers. */
  readonly shutdown$: Observable<void>;

  private readonly options: ResolvedClientOptions;
  private readonly log: CoreLog;
  private readonly machine$: BehaviorSubject<MachineState>;
  private readonly inboundSubject = new Subject<readonly InboundFrame[]>();
  private readonly sessionsSubject = new Subject<SessionStart>();
  private readonly errorSubject = new Subject<ConversationsError>();
  private readonly shutdownSubject = new AsyncSubject<void>();
  private readonly tokens: TokenLifecycle;
  private readonly requests: RequestQueue;
  /** Everything running: effects keyed on the state, platform listeners. */
  private readonly running = new Subscription();
  private readonly closed: Promise<void>;
  private resolveClosed: () => void = () => undefined;

  // Dispatch is trampolined: an event raised while another is being applied waits its turn, so every
  // observer sees the same order of states.
  private readonly events: MachineEvent[] = [];
  private readonly afterEvents: (() => void)[] = [];
  private draining = false;
  private enteredAt: number;

  /** The socket of the current attempt, set and cleared by the socket effect. */
  private link: SocketLink | null = null;
  /** The current link completed its handshake. */
  private welcomed = false;
  /** Log position of the last durable event applied; null before the first `welcome`. */
  private lastSeq: number | null = null;
  private readonly streams = new StreamPositions();
  private currentUser: User | null = null;
  /** Settles once the persistent cache was read: the handshake waits for it (OFFLINE-1). */
  private restoring: Promise<void> | null = null;
  private lastDenial = new ConversationsError('connection_denied');

  /**
   * Validates `options` (TypeError when invalid) and connects at once. Never throws for network or
   * token reasons: a token that is not a decodable JWT makes the client `denied`.
   */
  constructor(token: string, options: ClientOptions) {
    this.options = validateOptions(options);
    const { scheduler } = this.options;
    this.log = createCoreLog(this.options.logLevel, this.options.logger);
    const claims = decodeTokenClaims(token);
    this.enteredAt = scheduler.now();
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.requests = new RequestQueue({
      scheduler,
      maxQueued: this.options.maxQueuedRequests,
      defaultTimeoutMs: this.options.requestTimeoutMs,
      rateLimitDeadlineMs: this.options.rateLimitDeadlineMs,
      log: this.log,
    });
    this.tokens = new TokenLifecycle(token, {
      scheduler,
      leadMs: this.options.tokenRefreshLeadMs,
      provider: this.options.tokenProvider,
      apply: (fresh) => this.applyToken(fresh, true),
      retryDelay: (failures) => backoffDelay(failures, this.options.reconnect, this.options.random),
      onProviderFailure: (error) => this.errorSubject.next(error),
      log: this.log,
    });

    const initial = claims === null ? transition(INITIAL_STATE, { type: 'tokenRejected' }) : INITIAL_STATE;
    this.machine$ = new BehaviorSubject(initial);

    this.inbound$ = this.inboundSubject.asObservable();
    this.sessions$ = this.sessionsSubject.asObservable();
    this.connectionState$ = this.machine$.pipe(map(publicState), distinctUntilChanged());
    this.tokenAboutToExpire$ = this.tokens.aboutToExpire$;
    this.tokenExpired$ = this.tokens.expired$;
    this.connectionError$ = this.errorSubject.asObservable();
    this.discontinuity$ = this.sessionsSubject.pipe(filter((session) => session.resume === 'resync'));
    this.shutdown$ = this.shutdownSubject.asObservable();

    this.log.info('client created', { url: this.options.url, identity: this.identity, state: initial.phase });
    // Hold events raised while wiring (a fake socket may answer synchronously) until all is in place.
    this.draining = true;
    try {
      this.startEffects();
      if (claims === null) {
        const code: ErrorCode = typeof token === 'string' ? 'token_malformed' : 'token_not_a_string';
        const error = new ConversationsError(code, 'the token is not a decodable JWT');
        this.lastDenial = error;
        // Deferred a tick, so that subscribers who subscribe right after construction see it.
        this.running.add(scheduler.schedule(() => this.afterDenial(error)));
      }
    } finally {
      this.draining = false;
    }
    this.drain();
  }

  /** The current access token (the media endpoints take it in `Authorization`). */
  get token(): string {
    return this.tokens.current;
  }

  /** The identity of the token (`grants.identity`); '' while the client has had no decodable token. */
  get identity(): string {
    return this.tokens.currentIdentity;
  }

  /** The current public state (CONN-2). */
  get connectionState(): ConnectionState {
    return publicState(this.state);
  }

  /** The user from the latest `welcome`; null before the first. */
  get user(): User | null {
    return this.currentUser;
  }

  /** @internal Sequence number of the last applied durable event (tests, diagnostics). */
  get lastAppliedSeq(): number | null {
    return this.lastSeq;
  }

  /**
   * @internal Resumes from a persisted position (OFFLINE-1): the first handshake waits until
   * `position` settles, then asks the server to replay what followed it (null: a fresh start).
   */
  resumeFrom(position: Promise<number | null>): void {
    const gate: Promise<void> = position
      .then((seq) => {
        if (seq !== null && this.lastSeq === null) this.lastSeq = seq;
      }, () => undefined)
      .then(() => {
        if (this.restoring === gate) this.restoring = null;
      });
    this.restoring = gate;
  }

  private get state(): MachineState {
    return this.machine$.getValue();
  }

  /**
   * See {@link Session.request}. Requests wait in the queue while connecting and while `denied`, and
   * while connected go out as the server's rate limit allows (ROBUST-1).
   */
  request<O extends OpName>(op: O, args: OpArgs<O>, options?: RequestOptions): Promise<OpResult<O>> {
    if (PHASES[this.state.phase].requests === 'reject') return Promise.reject(shutDownError());
    return this.requests.submit(op, args, options);
  }

  /**
   * Swaps the token (CONN-7). Connected: sends `token.update` on the open socket (no reconnect, no
   * state lost) and resolves when the server accepts it, or rejects with the server's code.
   * Otherwise (connecting, disconnected, denied): stores it, reconnects at once, and resolves at the
   * next `welcome` or rejects with the code of the refusal. A token for another identity rejects with
   * `token_identity_mismatch` without any request; after shutdown, `client_shut_down`.
   */
  updateToken(token: string): Promise<void> {
    return this.applyToken(token, false);
  }

  /**
   * Closes the socket (code 1000), rejects every pending call with `client_shut_down`, releases every
   * timer and listener, and completes every observable (CONN-8). Idempotent; resolves when done.
   */
  shutdown(): Promise<void> {
    if (PHASES[this.state.phase].requests !== 'reject') {
      this.log.info('shutdown requested');
      this.dispatch({ type: 'shutdownRequested' });
      this.dispatch({ type: 'shutdownCompleted' });
    }
    return this.closed;
  }

  // ───────────────────────────── state machine ─────────────────────────────

  private dispatch(event: MachineEvent): void {
    this.events.push(event);
    if (!this.draining) this.drain();
  }

  /** Runs `task` once every queued event has been applied (so observers see the state first). */
  private afterState(task: () => void): void {
    if (this.draining) this.afterEvents.push(task);
    else task();
  }

  private drain(): void {
    this.draining = true;
    try {
      for (;;) {
        const event = this.events.shift();
        if (event !== undefined) {
          this.apply(event);
          continue;
        }
        const task = this.afterEvents.shift();
        if (task === undefined) break;
        task();
      }
    } finally {
      this.draining = false;
    }
  }

  private apply(event: MachineEvent): void {
    const previous = this.state;
    if (previous.phase === 'closed') return;
    const next = transition(previous, event);
    if (next === previous) {
      this.log.trace(`event ${event.type} ignored in ${previous.phase}`);
      return;
    }
    const now = this.options.scheduler.now();
    if (next.phase !== previous.phase) {
      this.log.debug(`state ${previous.phase} → ${next.phase}`, { event: event.type, afterMs: now - this.enteredAt, attempt: next.attempt, socket: next.socket });
      this.enteredAt = now;
    }
    const before = publicState(previous);
    const after = publicState(next);
    if (before !== after) this.log.info(`connection ${before} → ${after}`, { event: event.type });
    if (next.phase === 'closing' && previous.phase !== 'closing') {
      // Before observers see `disconnecting`: nothing may still be pending then.
      this.tokens.stop();
    }
    this.machine$.next(next);
    if (next.phase === 'closing' && previous.phase !== 'closing') this.requests.rejectAll(shutDownError());
    if (next.phase === 'closed') this.finalize();
  }

  /**
   * Effects as functions of the state: each runs while its key is non-null and restarts when the key
   * changes, so leaving a state stops its effects by construction (STYLE: no scattered timer fields).
   */
  private startEffects(): void {
    const { scheduler, reconnect, random } = this.options;
    const effect = <K>(key: (state: MachineState) => K | null, run: (key: K) => Observable<unknown>): void => {
      // switchMap over the distinct keys, by hand (rxjs switchMap brings its input conversions: PERF-7).
      let last: K | null | undefined;
      let current = new Subscription();
      this.running.add(this.machine$.subscribe((state) => {
        const k = key(state);
        if (k === last) return;
        last = k;
        current.unsubscribe();
        current = new Subscription();
        if (k !== null) current.add(run(k).subscribe());
      }));
      this.running.add(() => current.unsubscribe());
    };
    effect((s) => (PHASES[s.phase].socket ? s.socket : null), () => this.socketEffect());
    effect((s) => (PHASES[s.phase].authProbe ? s.socket : null), () => this.probeEffect());
    effect(
      (s) => (PHASES[s.phase].retryTimer ? `${s.cycle}/${s.attempt}` : null),
      () => {
        const state = this.state;
        const delay = retryDelay(state, reconnect, random);
        this.log.debug('retrying after backoff', { attempt: state.attempt, lossyLink: state.lossyLink, delayMs: delay });
        return after(scheduler, delay, () => this.dispatch({ type: 'retryTimerFired' }));
      },
    );
    // A connection that stays up this long is stable: the next drop is retried fast again (flap damping).
    effect(
      (s) => (s.phase === 'connected' && (s.flaps > 0 || s.losses > 0) ? s.socket : null),
      () => after(scheduler, STABLE_CONNECTION_MS, () => this.dispatch({ type: 'connectionStable' })),
    );
    effect(
      (s) => (PHASES[s.phase].reconnecting && !s.periodElapsed ? s.cycle : null),
      () => after(scheduler, reconnect.connectingPeriodMs, () => this.dispatch({ type: 'connectingPeriodElapsed' })),
    );
    const platform = this.options.platform;
    if (platform !== null) {
      try {
        const stop = platform.watch((signal) => this.onPlatformSignal(signal));
        this.running.add(() => stop());
      } catch (error) {
        this.log.warn('platform hooks failed to start', { error });
      }
    }
  }

  private finalize(): void {
    this.running.unsubscribe();
    this.requests.rejectAll(shutDownError());
    this.machine$.complete();
    this.inboundSubject.complete();
    this.sessionsSubject.complete();
    this.tokens.dispose();
    this.errorSubject.complete();
    this.shutdownSubject.next();
    this.shutdownSubject.complete();
    this.log.info('shut down');
    this.resolveClosed();
  }

  // ───────────────────────────── the socket ─────────────────────────────

  private readonly transmit: Transmit = (frame, text) => this.link?.send(frame, text) ?? false;

  private socketEffect(): Observable<never> {
    return new Observable<never>(() => {
      const { WebSocket, url, scheduler, heartbeat } = this.options;
      this.welcomed = false;
      this.log.debug('opening socket', { url, lastSeq: this.lastSeq });
      let link: SocketLink | null = null;
      try {
        link = new SocketLink(
          { WebSocket, url, protocols: [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + this.tokens.current], scheduler, timeoutMs: heartbeat.timeoutMs, log: this.log },
          {
            opened: () => this.onOpened(),
            received: (frames) => this.onFrames(frames),
            closed: (code, reason, wasOpen) => this.onClosed(code, reason, wasOpen),
            timedOut: () => this.dispatch({ type: 'heartbeatTimedOut' }),
          },
        );
        this.link = link;
      } catch (error) {
        // Browsers throw synchronously for some bad URLs or protocols: a failure before open.
        this.log.warn('WebSocket constructor threw', { error });
        this.afterState(() => this.dispatch({ type: 'socketFailed' }));
      }
      return () => {
        if (link !== null && this.link === link) this.link = null;
        link?.dispose();
        this.welcomed = false;
        if (PHASES[this.state.phase].requests === 'reject') this.requests.rejectAll(shutDownError());
        else this.requests.connectionLost();
      };
    });
  }

  private onOpened(): void {
    const link = this.link;
    if (this.restoring !== null) {
      void this.restoring.then(() => link !== null && link === this.link && this.onOpened());
      return;
    }
    const hello = this.lastSeq === null
      ? { type: 'hello' as const, v: PROTOCOL_VERSION }
      : { type: 'hello' as const, v: PROTOCOL_VERSION, lastSeq: this.lastSeq };
    this.link?.send(hello);
    this.dispatch({ type: 'socketOpened' });
  }

  private onClosed(code: number, reason: string, wasOpen: boolean): void {
    if (!wasOpen) {
      this.log.info('socket failed before opening', { code });
      this.dispatch({ type: 'socketFailed' });
      return;
    }
    const reasonCode = isErrorCode(reason) ? reason : null;
    if (isDeniedCloseCode(code)) {
      const error = new ConversationsError(reasonCode ?? errorCodeForClose(code), `the server refused the token (close ${code})`);
      this.lastDenial = error;
      this.dispatch({ type: 'socketClosed', code });
      this.afterState(() => this.afterDenial(error));
      return;
    }
    this.log.info('connection closed', { code, reason });
    this.dispatch({ type: 'socketClosed', code });
    if (reasonCode !== null || code === 1001 || code >= 4000) {
      const error = new ConversationsError(reasonCode ?? errorCodeForClose(code), `the server closed the connection (${code}${reason === '' ? '' : ` ${reason}`})`);
      this.afterState(() => this.errorSubject.next(error));
    }
  }

  /** Routes the frames of one message: replies settle calls, events and signals go out as one batch. */
  private onFrames(frames: readonly ServerFrame[]): void {
    let batch: InboundFrame[] = [];
    let batchSeq: number | null = null;
    const emit = (): void => {
      if (batch.length === 0) return;
      const out = batch;
      batch = [];
      this.inboundSubject.next(out);
      // Applied once next() returned (the store applies synchronously).
      if (batchSeq !== null) this.lastSeq = batchSeq;
      batchSeq = null;
    };
    for (const frame of frames) {
      switch (frame.type) {
        case 'welcome':
          emit();
          this.onWelcome(frame);
          break;
        case 'ev': {
          if (!this.welcomed || this.lastSeq === null) {
            this.log.warn('event before welcome ignored', { seq: frame.seq });
            break;
          }
          const applied = batchSeq ?? this.lastSeq;
          if (frame.seq <= applied) {
            this.log.debug('duplicate event dropped', { seq: frame.seq, lastSeq: applied });
            break;
          }
          if (!this.streams.accept(frame)) {
            emit();
            this.log.warn('sequence gap: reconnecting to resume', { stream: frame.stream ?? 'user', prev: frame.prev, received: frame.seq });
            this.link?.markDead();
            this.dispatch({ type: 'sequenceGap' });
            return;
          }
          batch.push(frame);
          batchSeq = frame.seq;
          break;
        }
        case 'sig':
          if (this.welcomed) batch.push(frame);
          break;
        case 'res':
          if (!this.requests.settle(frame)) {
            if (frame.ok) this.log.debug('reply to an unknown request ignored', { id: frame.id });
            else this.log.warn('server error without a pending request', { id: frame.id, code: frame.error.code, message: frame.error.message });
          }
          break;
        case 'pong':
          break;
        case 'notice':
          if (frame.kind === 'tokenAboutToExpire') this.tokens.noticed(frame.expiresAt);
          break;
        default:
          this.log.debug('unknown frame ignored', { type: (frame as { type: unknown }).type });
      }
    }
    emit();
    // The server answered on this connection: if the line is cut now, it was the network (lossy link).
    if (this.welcomed && !this.state.traffic && frames.some((frame) => frame.type !== 'welcome')) this.dispatch({ type: 'trafficReceived' });
  }

  private onWelcome(frame: WelcomeFrame): void {
    if (this.welcomed) {
      this.log.warn('repeated welcome ignored');
      return;
    }
    this.welcomed = true;
    this.currentUser = frame.user;
    this.tokens.welcomed(frame.identity);
    if (frame.resume !== 'resumed' || this.lastSeq === null) {
      this.lastSeq = frame.headSeq;
      this.streams.reset();
    }
    const { heartbeat } = this.options;
    const offered = frame.heartbeatIntervalMs > 0 ? frame.heartbeatIntervalMs : 4_000;
    // Pings at no more than half the timeout, so a live server always answers before we give up.
    const interval = Math.min(heartbeat.intervalMs ?? offered, Math.floor(heartbeat.timeoutMs / 2));
    this.link?.startPinging(interval);
    // Queued calls go out before anyone can observe `connected` and call again (order is kept).
    this.requests.opened(this.transmit, frame.rateLimit ?? null);
    // Back after a drop: ask for a pong at once, so that even a quiet connection shows within a round
    // trip whether the server serves it (a crash loop welcomes and drops before answering).
    if (this.state.flaps > 0 || this.state.losses > 0) this.link?.ping();
    this.dispatch({ type: 'welcomeReceived' });
    const session: SessionStart = { resume: frame.resume, headSeq: frame.headSeq, user: frame.user, connectionId: frame.connectionId };
    this.log.info('session started', { resume: frame.resume, headSeq: frame.headSeq, connectionId: frame.connectionId, pingIntervalMs: interval });
    this.afterState(() => this.sessionsSubject.next(session));
  }

  private probeEffect(): Observable<never> {
    const { authUrl, fetch, scheduler, heartbeat } = this.options;
    const probe = authProbe({ token: this.tokens.current, authUrl, fetch, scheduler, timeoutMs: heartbeat.timeoutMs, log: this.log });
    return new Observable<never>(() => probe.subscribe((result) => {
      if (!result.denied) {
        this.dispatch({ type: 'authInconclusive' });
        return;
      }
      const error = new ConversationsError(result.code, result.message);
      this.lastDenial = error;
      this.dispatch({ type: 'tokenRejected' });
      this.afterState(() => this.afterDenial(error));
    }));
  }

  private onPlatformSignal(signal: PlatformSignal): void {
    this.log.debug('platform signal', { signal });
    if (signal !== 'online' && signal !== 'visible') return;
    // Connected: make sure the socket still works (a network change often kills it silently).
    if (this.state.phase === 'connected') this.link?.ping();
    else this.dispatch({ type: 'networkOnline' });
  }

  // ───────────────────────────── tokens ─────────────────────────────

  private async applyToken(token: string, fromProvider: boolean): Promise<void> {
    if (PHASES[this.state.phase].requests === 'reject') throw shutDownError();
    const claims = this.tokens.check(token);
    if (!fromProvider) this.tokens.fromApp();
    if (this.state.phase === 'connected') {
      try {
        await this.request('token.update', { token });
        this.tokens.adopt(token, claims);
        this.log.info('token updated on the open connection');
        return;
      } catch (error) {
        if (!(error instanceof ConversationsError) || error.code !== 'connection_lost') throw error;
        const current: MachineState = this.state;
        if (current.phase === 'denied') throw this.lastDenial;
        if (PHASES[current.phase].requests === 'reject') throw shutDownError();
        // The socket dropped mid-update: carry on as when disconnected.
      }
    }
    this.tokens.adopt(token, claims);
    const socketBefore = this.state.socket;
    this.log.info('token stored; reconnecting with it', { from: this.state.phase });
    this.dispatch({ type: 'tokenUpdated' });
    const outcome = await firstValueFrom(
      this.machine$.pipe(
        filter((s) => PHASES[s.phase].requests === 'reject' || (s.socket > socketBefore && (s.phase === 'connected' || s.phase === 'denied'))),
      ),
      { defaultValue: undefined },
    );
    if (outcome === undefined || PHASES[outcome.phase].requests === 'reject') throw shutDownError();
    if (outcome.phase === 'denied') throw this.lastDenial;
  }

  private afterDenial(error: ConversationsError): void {
    if (this.state.phase !== 'denied') return;
    this.log.warn('connection denied', { code: error.code });
    this.errorSubject.next(error);
    this.tokens.denied();
  }
}
