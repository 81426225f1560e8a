import {
  CLOSE_CODES,
  MAX_TIMER_MS,
  PROTOCOL_VERSION,
  parseClientFrame,
  type HelloFrame,
  type OpName,
  type RequestFrame,
  type WelcomeFrame,
  type WireError,
} from '@rx-conversations/protocol';
import type { Core, CoreLogger } from './Core.js';
import { eventFrame } from './eventFrame.js';
import type { Delivery } from './Fanout.js';
import type { OpContext, SessionPeer } from './ops/OpContext.js';
import { operations } from './ops/operations.js';
import { closeCodeFor, serverError, ServerError } from './ServerError.js';
import { run, type Step } from './Step.js';
import { TokenBucket } from './TokenBucket.js';

/** How a session reaches its peer: a websocket in the server, a fake socket in the test kit. */
export interface SessionTransport {
  /** Queues a serialised frame; it leaves with the next batch. */
  send(frame: string): void;
  /** Queues a resume replay, which the transport may pace; live frames wait behind it. */
  sendBacklog(frames: readonly string[]): void;
  /** Sends what is queued, then closes with `code`; `terminate` drops the link at once after. */
  close(code: number, reason: string, terminate: boolean): void;
}

/** Timers, injected: Node's in the server, a scheduler's in the test kit (virtual time). */
export interface SessionTimers {
  set(work: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

/** Verifies an access token; rejects with a ServerError. */
export type TokenVerifier = (token: string) => Promise<{ readonly identity: string; readonly expiresAt: number }>;

/** Settings every session of a server shares. */
export interface SessionSettings {
  readonly core: Core;
  readonly verifyToken: TokenVerifier;
  readonly timers: SessionTimers;
  readonly heartbeatIntervalMs: number;
  /** Close a connection that sends no hello within this; null: wait forever. */
  readonly handshakeTimeoutMs: number | null;
  readonly tokenNoticeLeadMs: number;
  /** Arm the token notice and expiry timers (the test kit can leave tokens to the test). */
  readonly tokenTimers: boolean;
  /** Per-connection request rate (token bucket); null: unlimited. */
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number } | null;
  /** Sees each request before it runs; an error answer replaces running it (the test kit's `failNext`). */
  readonly intercept?: (session: Session, request: RequestFrame) => WireError | undefined;
}

type Phase = 'handshake' | 'live' | 'closed';
type TimerName = 'handshake' | 'notice' | 'expiry';


/**
 * One authenticated connection, whatever carries it (CORE-1): the hello/welcome handshake and resume
 * (CONN-5), requests with strictly increasing ids, rate limiting, token notice/expiry/update (SRV-2),
 * and registration for live fan-out.
 */
export class Session implements SessionPeer {
  readonly id: string;
  readonly watched = new Set<string>();
  /** When a frame last arrived, by the core's clock (heartbeat, CONN-4). */
  lastHeardAt: number;
  /** Events up to this position reached this connection in its handshake replay. */
  floor = 0;
  /** The hello received, once it has been. */
  hello: HelloFrame | null = null;
  /** How the handshake resumed, once welcomed. */
  resume: WelcomeFrame['resume'] | null = null;
  private phase: Phase = 'handshake';
  private lastRequestId = 0;
  private readonly bucket: TokenBucket | null;
  private readonly timers = new Map<TimerName, unknown>();
  private readonly context: OpContext;
  private childLogger: CoreLogger | undefined;
  private detached = false;
  /** Live frames that arrive between joining fan-out and sending the welcome (networked stores). */
  private early: string[] | null = null;
  /** The requests still running, in arrival order (networked stores): each starts after the previous. */
  private running: Promise<void> | null = null;

  constructor(
    private readonly transport: SessionTransport,
    readonly identity: string,
    private tokenExpiresAt: number,
    private readonly settings: SessionSettings,
    private readonly onClosed: (session: Session) => void = () => {},
  ) {
    const { core } = settings;
    this.id = core.newSid('CN');
    const now = core.clock();
    this.lastHeardAt = now;
    this.bucket = settings.rateLimit === null ? null : new TokenBucket(settings.rateLimit.ratePerSecond, settings.rateLimit.burst, now);
    this.context = { core, identity, peer: this };
    if (settings.handshakeTimeoutMs !== null) {
      this.arm('handshake', now + settings.handshakeTimeoutMs, () => this.fail(serverError('handshake_timeout', 'no hello within the handshake timeout')));
    }
    this.armTokenExpiry();
  }

  // Created on first use: a child logger per idle connection is memory that 10k sockets do not need (PERF-6).
  private get logger(): CoreLogger {
    this.childLogger ??= this.settings.core.logger.child({ connectionId: this.id, identity: this.identity });
    return this.childLogger;
  }

  get isLive(): boolean {
    return this.phase === 'live';
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  get expiresAt(): number {
    return this.tokenExpiresAt;
  }

  /** Queues a serialised frame (behind the welcome and the replay while the handshake finishes). */
  enqueue(frame: string): void {
    if (this.phase === 'closed') return;
    if (this.early !== null) this.early.push(frame);
    else this.transport.send(frame);
  }

  /** This node lost events it cannot replay: close so that the client resumes (and resyncs). */
  drop(): void {
    this.close(CLOSE_CODES.goingAway, 'events_lost');
  }

  /** Ends the session with the close code of `error` (after sending what is queued). */
  fail(error: ServerError): void {
    this.close(error.closeCode ?? closeCodeFor(error.code), error.code);
  }

  /** Sends what is queued, then closes; `terminate` drops the link at once after the close frame. */
  close(code: number, reason: string, terminate = false): void {
    if (this.phase === 'closed') return;
    if (this.settings.core.logger.isLevelEnabled('info')) this.logger.info({ code, reason }, 'closing connection');
    this.phase = 'closed';
    this.clearTimers();
    this.transport.close(code, reason, terminate);
    this.detach();
  }

  /** The link is gone (the transport saw it close). */
  closed(code: number, reason: string): void {
    if (this.settings.core.logger.isLevelEnabled('debug')) this.logger.debug({ code, reason }, 'connection closed');
    this.phase = 'closed';
    this.clearTimers();
    this.detach();
  }

  /** Handles one inbound websocket message (text or binary; decoded strictly as UTF-8). */
  receive(raw: string | Uint8Array): void {
    try {
      this.lastHeardAt = this.settings.core.clock();
      this.handle(raw);
    } catch (err) {
      this.logger.error({ err }, 'unexpected error handling a frame');
      this.replyError(null, { code: 'internal_error', message: 'unexpected server error' });
    }
  }

  /** `token.update` (SRV-2, CONN-7): the old token stays in force unless the new one verifies. */
  async updateToken(token: string): Promise<{ expiresAt: number }> {
    const verified = await this.settings.verifyToken(token);
    if (verified.identity !== this.identity) {
      throw serverError('token_identity_mismatch', 'the new token is for another identity');
    }
    if (this.phase === 'closed') throw serverError('token_expired', 'the connection has closed');
    this.tokenExpiresAt = verified.expiresAt;
    this.armTokenExpiry();
    this.armTokenNotice();
    return { expiresAt: verified.expiresAt };
  }

  /** Sends the token notice now (the test kit's `noticeTokenAboutToExpire`). */
  noticeTokenAboutToExpire(): void {
    if (this.phase === 'live') this.enqueue(JSON.stringify({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt: this.tokenExpiresAt }));
  }

  private handle(raw: string | Uint8Array): void {
    if (this.phase === 'closed') return;
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) {
      if (parsed.id !== null && !this.acceptId(parsed.id)) return;
      this.replyError(parsed.id, parsed.error);
      return;
    }
    const { frame } = parsed;
    if (frame.type === 'req' && !this.acceptId(frame.id)) return;
    if (frame.type === 'hello') {
      this.welcome(frame);
      return;
    }
    if (this.phase !== 'live') {
      this.replyError(frame.type === 'req' ? frame.id : null, { code: 'handshake_required', message: 'send hello first' });
      return;
    }
    if (frame.type === 'ping') {
      this.enqueue(JSON.stringify({ type: 'pong', serverTime: this.settings.core.clock() }));
      return;
    }
    this.request(frame);
  }

  /** Request ids strictly increase per connection; a replayed or stale id is refused (and consumed nothing). */
  private acceptId(id: number): boolean {
    if (id <= this.lastRequestId) {
      this.replyError(id, { code: 'request_id_invalid', message: `request ids must increase (last was ${this.lastRequestId})`, details: { path: 'id' } });
      return false;
    }
    this.lastRequestId = id;
    return true;
  }

  private welcome(frame: HelloFrame): void {
    if (this.hello !== null) {
      this.replyError(null, { code: 'handshake_repeated', message: 'hello was already received' });
      return;
    }
    this.hello = frame;
    if (frame.v !== PROTOCOL_VERSION) {
      this.replyError(null, { code: 'protocol_version_unsupported', message: `this server speaks protocol version ${PROTOCOL_VERSION}` });
      this.fail(serverError('protocol_version_unsupported', 'unsupported protocol version'));
      return;
    }
    this.clearTimer('handshake');
    const outcome = run(this.handshake(frame));
    if (outcome instanceof Promise) {
      outcome.catch((err: unknown) => {
        this.logger.error({ err }, 'handshake failed');
        this.fail(serverError('internal_error', 'the handshake failed'));
      });
    }
  }

  /**
   * Replays the missed events and joins live fan-out without a gap or a repeat (CONN-5, SCALE-2). The
   * relay records what it delivers from before the read; the read (one snapshot) gives the head, the
   * user's conversations and the missed events up to it; then the recorded events past the head are
   * merged in, with the user's membership followed through them, and later ones arrive live. On an
   * embedded store this all happens in one turn and nothing is recorded; on a networked store other
   * nodes' events go by while the read waits.
   */
  private *handshake(frame: HelloFrame): Step<void> {
    const { core } = this.settings;
    const now = core.clock();
    const identity = this.identity;
    if ((yield* core.store.read((tx) => tx.getUser(identity))) === undefined) yield* core.store.write((tx) => tx.ensureUser(identity, now, core.newSid('US')));
    const held = core.relay.hold();
    let read;
    try {
      read = yield* core.store.read(function* (tx) {
        const head = yield* tx.headSeq();
        const conversationSids = yield* tx.conversationSidsOf(identity);
        const lastSeq = frame.lastSeq;
        if (lastSeq === undefined) return { head, conversationSids, resume: 'fresh' as const, replay: [], ahead: false };
        if (lastSeq > head) return { head, conversationSids, resume: 'resync' as const, replay: [], ahead: true };
        const missed = yield* tx.eventsFor(identity, lastSeq);
        return { head, conversationSids, resume: missed === null ? ('resync' as const) : ('resumed' as const), replay: missed ?? [], ahead: false };
      });
    } finally {
      core.relay.release(held);
    }
    if (this.phase === 'closed') return;
    if (read.ahead) this.replyError(null, { code: 'resume_sequence_invalid', message: `lastSeq is ahead of the log (head ${read.head})` });
    const conversations = new Set(read.conversationSids);
    const merged = mergeHeld(held, read.head, identity, conversations);
    // Events up to the head came in the replay; the relay may not have delivered them here yet.
    this.floor = read.head;
    this.phase = 'live';
    this.resume = read.resume;
    this.early = [];
    if (core.fanout.add(this, [...conversations])) core.reachabilityChanged(identity);
    let user;
    try {
      user = (yield* core.store.read((tx) => core.user(tx, identity)))!;
    } catch (err) {
      this.early = null;
      throw err;
    }
    const welcome: WelcomeFrame = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      identity,
      connectionId: this.id,
      user,
      headSeq: read.head,
      resume: read.resume,
      tokenExpiresAt: this.tokenExpiresAt,
      heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
      serverTime: now,
      rateLimit: this.settings.rateLimit,
    };
    const early = this.early;
    this.early = null;
    if (this.isClosed) return;
    this.transport.send(JSON.stringify(welcome));
    this.transport.sendBacklog(read.replay.map(eventFrame));
    for (const frame of [...merged, ...early]) this.transport.send(frame);
    this.armTokenNotice();
    if (core.logger.isLevelEnabled('debug')) {
      this.logger.debug({ resume: read.resume, head: read.head, lastSeq: frame.lastSeq, replayed: read.replay.length, merged: merged.length }, 'welcomed');
    }
  }

  private request(frame: RequestFrame): void {
    const { core } = this.settings;
    if (this.bucket !== null) {
      const retryAfterMs = this.bucket.take(core.clock());
      if (retryAfterMs > 0) {
        this.replyError(frame.id, { code: 'rate_limited', message: 'too many requests on this connection', details: { retryAfterMs } });
        return;
      }
    }
    const injected = this.settings.intercept?.(this, frame);
    if (injected !== undefined) {
      this.replyError(frame.id, injected);
      return;
    }
    // One connection's requests run in the order they came, as on an embedded store, where each runs to
    // its end in one turn: a networked store must not let a later send overtake an earlier one.
    if (this.running === null) this.track(this.execute(frame));
    else this.track(this.running.then(() => this.execute(frame)));
  }

  /** Runs a request to its reply: at once on an embedded store, else as a promise. */
  private execute(frame: RequestFrame): Promise<void> | undefined {
    const handler = operations[frame.op] as (ctx: OpContext, args: unknown) => Step<unknown>;
    let result: unknown;
    try {
      result = run(handler(this.context, frame.args));
    } catch (err) {
      this.requestFailed(frame.id, frame.op, err);
      return undefined;
    }
    if (!(result instanceof Promise)) {
      // Any events of this write are already queued: the reply goes after them (STORE-6).
      this.reply(frame.id, result);
      return undefined;
    }
    return result.then(
      (value: unknown) => this.reply(frame.id, value),
      (err: unknown) => this.requestFailed(frame.id, frame.op, err),
    );
  }

  private track(work: Promise<void> | undefined): void {
    if (work === undefined) return;
    const tail: Promise<void> = work
      .catch((err: unknown) => this.logger.error({ err }, 'reply failed'))
      .then(() => {
        if (this.running === tail) this.running = null;
      });
    this.running = tail;
  }

  private reply(id: number, result: unknown): void {
    this.enqueue(JSON.stringify({ type: 'res', id, ok: true, result }));
  }

  private requestFailed(id: number, op: OpName, err: unknown): void {
    if (err instanceof ServerError) {
      this.replyError(id, err.toWire());
      return;
    }
    this.logger.error({ err, op }, 'request failed unexpectedly');
    this.replyError(id, { code: 'internal_error', message: 'unexpected server error; the operation had no effect' });
  }

  private replyError(id: number | null, error: WireError): void {
    this.enqueue(JSON.stringify({ type: 'res', id, ok: false, error }));
  }

  private armTokenExpiry(): void {
    if (!this.settings.tokenTimers) return;
    this.arm('expiry', this.tokenExpiresAt, () => this.fail(serverError('token_expired', 'the access token expired')));
  }

  // A token already inside the notice window is noticed at once, timers or not.
  private armTokenNotice(): void {
    if (this.phase !== 'live') return;
    const noticeAt = this.tokenExpiresAt - this.settings.tokenNoticeLeadMs;
    if (noticeAt <= this.settings.core.clock()) {
      this.clearTimer('notice');
      this.noticeTokenAboutToExpire();
      return;
    }
    if (this.settings.tokenTimers) this.arm('notice', noticeAt, () => this.noticeTokenAboutToExpire());
  }

  /** Runs `fire` at core-clock time `at` (at once if past), replacing the timer of the same name. */
  private arm(name: TimerName, at: number, fire: () => void): void {
    this.clearTimer(name);
    const { timers, core } = this.settings;
    const delay = Math.max(0, at - core.clock());
    const handle = timers.set(() => {
      this.timers.delete(name);
      if (this.phase === 'closed') return;
      if (at - core.clock() > 0) this.arm(name, at, fire);
      else fire();
    }, Math.min(delay, MAX_TIMER_MS));
    this.timers.set(name, handle);
  }

  private clearTimer(name: TimerName): void {
    if (!this.timers.has(name)) return;
    this.settings.timers.clear(this.timers.get(name));
    this.timers.delete(name);
  }

  private clearTimers(): void {
    for (const handle of this.timers.values()) this.settings.timers.clear(handle);
    this.timers.clear();
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    const { core } = this.settings;
    try {
      if (core.fanout.remove(this, this.watched)) core.reachabilityChanged(this.identity);
    } catch (err) {
      this.logger.error({ err }, 'failed to record the disconnection');
    }
    this.onClosed(this);
  }
}

/**
 * The frames among `held` (deliveries recorded during a handshake's read) that a user whose membership
 * was `conversations` at position `head` must receive, in order; follows their membership through them.
 */
function mergeHeld(held: readonly Delivery[], head: number, identity: string, conversations: Set<string>): string[] {
  const frames: string[] = [];
  for (const delivery of held) {
    if (delivery.seq <= head) continue;
    const m = delivery.membership;
    if (delivery.identity === identity) {
      if (m !== undefined && 'join' in m) conversations.add(m.join);
      if (m !== undefined && 'leave' in m) conversations.delete(m.leave);
      frames.push(delivery.frame);
    } else if (delivery.identity === null && delivery.conversationSid !== null && conversations.has(delivery.conversationSid)) {
      frames.push(delivery.frame);
      if (m !== undefined && 'end' in m) conversations.delete(m.end);
    }
  }
  return frames;
}
