import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  parseClientFrame,
  type ErrorCode,
  type HelloFrame,
  type OpName,
  type RequestFrame,
  type WelcomeFrame,
  type WireError,
} from '@rx-conversations/protocol';
import type { Backend } from './Backend.js';
import type { TokenVerifier } from './createTokenVerifier.js';
import { newSid } from './newSid.js';
import type { OpContext } from './ops/OpContext.js';
import { operations } from './ops/operations.js';
import { OutboundQueue } from './OutboundQueue.js';
import { closeCodeFor, serverError, ServerError } from './ServerError.js';
import { TokenBucket } from './TokenBucket.js';

/** Settings every connection shares. */
export interface ConnectionSettings {
  readonly backend: Backend;
  readonly verifyToken: TokenVerifier;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  readonly handshakeTimeoutMs: number;
  readonly tokenNoticeLeadMs: number;
  readonly maxBufferedBytes: number;
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
}

type Phase = 'handshake' | 'live' | 'closed';

// Node's timers cannot wait longer than this; longer waits are re-armed when they fire.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One authenticated websocket: the hello/welcome handshake and resume (CONN-5), requests with strictly
 * increasing ids, rate limiting, token notice/expiry/update (SRV-2), and its outbound queue (PERF-2).
 */
export class Connection {
  readonly id = newSid('CN');
  readonly watched = new Set<string>();
  /** When a frame last arrived, by the server clock (heartbeat, CONN-4). */
  lastHeardAt: number;
  private phase: Phase = 'handshake';
  private lastRequestId = 0;
  private readonly queue: OutboundQueue;
  private readonly bucket: TokenBucket;
  private readonly timers = new Map<'handshake' | 'notice' | 'expiry', NodeJS.Timeout>();
  private readonly context: OpContext;
  private childLogger: Logger | undefined;
  private detached = false;

  constructor(
    private readonly socket: WebSocket,
    readonly identity: string,
    private tokenExpiresAt: number,
    private readonly settings: ConnectionSettings,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    const now = settings.backend.clock();
    this.lastHeardAt = now;
    this.queue = new OutboundQueue(socket, settings.maxBufferedBytes, () => this.slowConsumer());
    this.bucket = new TokenBucket(settings.rateLimit.ratePerSecond, settings.rateLimit.burst, now);
    this.context = {
      backend: settings.backend,
      identity,
      peer: { identity, watched: this.watched, enqueue: (frame) => this.enqueue(frame), updateToken: (token) => this.updateToken(token) },
    };
    socket.on('message', (data) => this.receive(data));
    socket.on('close', (code, reason) => this.closed(code, reason.toString()));
    socket.on('error', (err) => this.logger.debug({ err }, 'socket error'));
    this.arm('handshake', now + settings.handshakeTimeoutMs, () => this.fail(serverError('handshake_timeout', 'no hello within the handshake timeout')));
    this.armTokenExpiry();
    if (settings.logger.isLevelEnabled('debug')) this.logger.debug('connection opened');
  }

  // Created on first use: a child logger per idle connection is memory that 10k sockets do not need (PERF-6).
  private get logger(): Logger {
    this.childLogger ??= this.settings.logger.child({ connectionId: this.id, identity: this.identity });
    return this.childLogger;
  }

  get isLive(): boolean {
    return this.phase === 'live';
  }

  /** Queues a serialised frame; it leaves with the next batch. */
  enqueue(frame: string): void {
    if (this.phase !== 'closed') this.queue.enqueue(frame);
  }

  /** Ends the connection with the close code of `error` (after flushing what is queued). */
  fail(error: ServerError): void {
    this.close(error.closeCode ?? closeCodeFor(error.code), error.code);
  }

  /** Flushes the queue, then sends a close frame. */
  close(code: number, reason: string, terminate = false): void {
    if (this.phase === 'closed') return;
    if (this.settings.logger.isLevelEnabled('info')) this.logger.info({ code, reason }, 'closing connection');
    this.queue.flush();
    this.queue.stop();
    this.phase = 'closed';
    this.clearTimers();
    try {
      this.socket.close(code, reason);
      if (terminate) this.socket.terminate();
    } catch (err) {
      this.logger.debug({ err }, 'close failed');
      this.socket.terminate();
    }
    this.detach();
  }

  /** Drops the socket at once (it is gone or useless). */
  terminate(): void {
    this.socket.terminate();
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.readyState === this.socket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  // Text and binary messages are treated alike: parseClientFrame decodes UTF-8 strictly either way.
  private receive(data: unknown): void {
    try {
      this.lastHeardAt = this.settings.backend.clock();
      const raw = Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      this.handle(raw);
    } catch (err) {
      this.logger.error({ err }, 'unexpected error handling a frame');
      this.replyError(null, { code: 'internal_error', message: 'unexpected server error' });
    }
  }

  private handle(raw: Buffer): void {
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
      this.hello(frame);
      return;
    }
    if (this.phase !== 'live') {
      this.replyError(frame.type === 'req' ? frame.id : null, { code: 'handshake_required', message: 'send hello first' });
      return;
    }
    if (frame.type === 'ping') {
      this.enqueue(JSON.stringify({ type: 'pong', serverTime: this.settings.backend.clock() }));
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

  private hello(frame: HelloFrame): void {
    if (this.phase === 'live') {
      this.replyError(null, { code: 'handshake_repeated', message: 'hello was already received' });
      return;
    }
    if (frame.v !== PROTOCOL_VERSION) {
      this.replyError(null, { code: 'protocol_version_unsupported', message: `this server speaks protocol version ${PROTOCOL_VERSION}` });
      this.fail(serverError('protocol_version_unsupported', 'unsupported protocol version'));
      return;
    }
    this.clearTimer('handshake');
    const { backend } = this.settings;
    const now = backend.clock();
    backend.store.ensureUser(this.identity, now);
    const head = backend.log.head(this.identity);
    let resume: WelcomeFrame['resume'] = 'fresh';
    let replay: string[] = [];
    if (frame.lastSeq !== undefined) {
      if (frame.lastSeq > head) {
        this.replyError(null, { code: 'resume_sequence_invalid', message: `lastSeq is ahead of this user's log (head ${head})` });
        resume = 'resync';
      } else {
        const missed = backend.log.readAfter(this.identity, frame.lastSeq, head);
        resume = missed === null ? 'resync' : 'resumed';
        replay = missed ?? [];
      }
    }
    // Reading the log and joining live fan-out happen in this one synchronous step, so no event can fall
    // between the replay and the live stream, nor arrive twice (CONN-5).
    this.phase = 'live';
    if (backend.hub.add(this)) backend.reachabilityChanged(this.identity);
    const welcome: WelcomeFrame = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      identity: this.identity,
      connectionId: this.id,
      user: backend.user(this.identity)!,
      headSeq: head,
      resume,
      tokenExpiresAt: this.tokenExpiresAt,
      heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
      serverTime: now,
    };
    this.enqueue(JSON.stringify(welcome));
    this.queue.enqueueBacklog(replay);
    this.armTokenNotice();
    if (this.settings.logger.isLevelEnabled('debug')) {
      this.logger.debug({ resume, head, lastSeq: frame.lastSeq, replayed: replay.length }, 'welcomed');
    }
  }

  private request(frame: RequestFrame): void {
    const { backend } = this.settings;
    const retryAfterMs = this.bucket.take(backend.clock());
    if (retryAfterMs > 0) {
      this.replyError(frame.id, { code: 'rate_limited', message: 'too many requests on this connection', details: { retryAfterMs } });
      return;
    }
    const handler = operations[frame.op] as (ctx: OpContext, args: unknown) => unknown;
    let result: unknown;
    try {
      result = handler(this.context, frame.args);
    } catch (err) {
      this.requestFailed(frame.id, frame.op, err);
      return;
    }
    if (result instanceof Promise) {
      result
        .then(
          (value: unknown) => this.reply(frame.id, value),
          (err: unknown) => this.requestFailed(frame.id, frame.op, err),
        )
        .catch((err: unknown) => this.logger.error({ err }, 'reply failed'));
    } else {
      // Any events of this write are already queued: the reply goes after them (STORE-6).
      this.reply(frame.id, result);
    }
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

  /** `token.update` (SRV-2, CONN-7): the old token stays in force unless the new one verifies. */
  private async updateToken(token: string): Promise<{ expiresAt: number }> {
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

  private armTokenExpiry(): void {
    this.arm('expiry', this.tokenExpiresAt, () => this.fail(serverError('token_expired', 'the access token expired')));
  }

  private armTokenNotice(): void {
    if (this.phase !== 'live') return;
    const expiresAt = this.tokenExpiresAt;
    this.arm('notice', expiresAt - this.settings.tokenNoticeLeadMs, () => {
      this.enqueue(JSON.stringify({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt }));
    });
  }

  /** Runs `fire` at server-clock time `at` (at once if past), replacing the timer of the same name. */
  private arm(name: 'handshake' | 'notice' | 'expiry', at: number, fire: () => void): void {
    this.clearTimer(name);
    const delay = Math.max(0, at - this.settings.backend.clock());
    const timer = setTimeout(() => {
      this.timers.delete(name);
      if (this.phase === 'closed') return;
      if (at - this.settings.backend.clock() > 0) this.arm(name, at, fire);
      else fire();
    }, Math.min(delay, MAX_TIMER_MS));
    this.timers.set(name, timer);
  }

  private clearTimer(name: 'handshake' | 'notice' | 'expiry'): void {
    const timer = this.timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(name);
  }

  private clearTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  // The peer cannot read our close frame while its buffer is full, so terminate at once: it sees an
  // abnormal closure (or 4008 if the frame gets through), reconnects and resumes from its last seq.
  private slowConsumer(): void {
    this.logger.warn({ bufferedAmount: this.socket.bufferedAmount }, 'slow consumer');
    this.close(CLOSE_CODES.slowConsumer, 'slow_consumer' satisfies ErrorCode, true);
  }

  private closed(code: number, reason: string): void {
    if (this.settings.logger.isLevelEnabled('debug')) this.logger.debug({ code, reason }, 'connection closed');
    this.phase = 'closed';
    this.queue.stop();
    this.clearTimers();
    this.detach();
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    const { backend } = this.settings;
    try {
      if (backend.hub.remove(this, this.watched)) backend.reachabilityChanged(this.identity);
    } catch (err) {
      this.logger.error({ err }, 'failed to record the disconnection');
    }
    this.onClosed(this);
  }
}
