import type { SchedulerLike, Subscription } from 'rxjs';
import {
  LIMITS,
  type ErrorFrame,
  type OpArgs,
  type OpName,
  type OpResult,
  type RequestFrame,
  type ResultFrame,
} from '@rx-conversations/protocol';
import { ConversationsError } from '../../ConversationsError.js';
import type { RequestOptions } from '../Session.js';
import type { CoreLog } from './CoreLog.js';
import { RateBudget, type RateLimit } from './RateBudget.js';

/** Writes a request frame to the current socket; false when it cannot (then the request waits). */
export type Transmit = (frame: RequestFrame, text: string) => boolean;

interface Entry {
  /** Order of the call among all calls of the client's life. */
  readonly order: number;
  readonly op: OpName;
  readonly args: unknown;
  /** The conversation whose calls go out one at a time, in call order; null: none. */
  readonly lane: string | null;
  readonly idempotent: boolean;
  readonly timeoutMs: number;
  readonly resolve: (result: never) => void;
  readonly reject: (error: ConversationsError) => void;
  /** When a call still waiting on an open connection gives up (`rate_limit_deadline`). */
  deadline: number;
  /** The wire id of the current attempt, 0 while queued. */
  id: number;
  /** The reply timer of the current attempt. */
  timer: Subscription | undefined;
}

const encoder = new TextEncoder();

/**
 * The outbound side of `Session.request` (CONN-6 in the brief, STORE-7, ROBUST-1): the calls waiting to
 * go out, in call order and bounded (`queue_full`), and the calls in flight by wire id. Ids come from
 * one counter for the client's life, so they strictly increase on every connection as the server
 * requires.
 *
 * While a connection is open, calls go out as the server's announced rate allows ({@link RateBudget}).
 * A call the server answers `rate_limited` had no effect: it goes back to its place and out again after
 * `retryAfterMs`. So that such a retry cannot let a later call overtake it, the calls of one conversation
 * (`args.sid`) go out one at a time: the next leaves when the previous one is answered. A call still
 * waiting `rateLimitDeadlineMs` after it was made on an open connection (or after that connection
 * opened) rejects with `rate_limit_deadline`.
 *
 * On a dropped connection, idempotent calls in flight go back to their place in the queue; the others
 * reject with `connection_lost`.
 */
export class RequestQueue {
  private readonly waiting: Entry[] = [];
  private readonly inFlight = new Map<number, Entry>();
  /** Conversations with a call in flight. */
  private readonly busyLanes = new Set<string>();
  private lastId = 0;
  private lastOrder = 0;
  /** The open connection's socket and budget; null while there is none. */
  private open: { readonly transmit: Transmit; readonly budget: RateBudget } | null = null;
  /** Wakes the queue when the budget allows the next call or a deadline passes. */
  private wake: Subscription | undefined;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly config: {
      readonly scheduler: SchedulerLike;
      readonly maxQueued: number;
      readonly defaultTimeoutMs: number;
      readonly rateLimitDeadlineMs: number;
      readonly log: CoreLog;
    },
  ) {}

  /** Calls waiting to go out. */
  get queuedCount(): number {
    return this.waiting.length;
  }

  /** Calls sent and not answered yet. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Queues the call and sends what may go out now. Rejects at once with `queue_full` when it would
   * have to wait behind the queue's bound.
   */
  submit<O extends OpName>(op: O, args: OpArgs<O>, options: RequestOptions | undefined): Promise<OpResult<O>> {
    return new Promise<OpResult<O>>((resolve, reject) => {
      const sid = (args as { sid?: unknown }).sid;
      const entry: Entry = {
        order: ++this.lastOrder,
        op,
        args,
        lane: typeof sid === 'string' ? sid : null,
        idempotent: options?.idempotent === true,
        timeoutMs: options?.timeoutMs ?? this.config.defaultTimeoutMs,
        resolve: resolve as (result: never) => void,
        reject,
        deadline: this.open === null ? Infinity : this.config.scheduler.now() + this.config.rateLimitDeadlineMs,
        id: 0,
        timer: undefined,
      };
      this.waiting.push(entry);
      this.pump();
      if (this.waiting.length > this.config.maxQueued && this.waiting[this.waiting.length - 1] === entry) {
        this.waiting.pop();
        reject(new ConversationsError('queue_full', `${this.waiting.length} calls already wait to go out`, { details: { limit: this.config.maxQueued } }));
      }
    });
  }

  /** A connection is open (its `welcome` arrived): send what waits, paced by `rateLimit`. */
  opened(transmit: Transmit, rateLimit: RateLimit): void {
    const now = this.config.scheduler.now();
    this.open = { transmit, budget: new RateBudget(rateLimit, now) };
    for (const entry of this.waiting) entry.deadline = now + this.config.rateLimitDeadlineMs;
    this.pump();
  }

  /** Settles the call a `res` frame answers. Returns false for an unknown id (a reply after its timeout). */
  settle(frame: ResultFrame | ErrorFrame): boolean {
    if (frame.id === null) return false;
    const entry = this.inFlight.get(frame.id);
    if (entry === undefined) return false;
    this.landed(entry);
    if (frame.ok) {
      entry.resolve(frame.result as never);
    } else if (frame.error.code === 'rate_limited' && this.open !== null) {
      this.refused(entry, frame.error);
    } else {
      const { code, message, details } = frame.error;
      entry.reject(new ConversationsError(code, message, { details, cause: frame.error }));
    }
    this.pump();
    return true;
  }

  /** The socket is gone: idempotent calls in flight wait again at their place; others reject. */
  connectionLost(): void {
    this.close();
    let resent = 0;
    for (const entry of this.inFlight.values()) {
      entry.timer?.unsubscribe();
      entry.timer = undefined;
      if (entry.idempotent) {
        this.requeue(entry);
        resent += 1;
      } else {
        entry.reject(new ConversationsError('connection_lost', `the connection dropped before ${entry.op} was answered`));
      }
    }
    this.inFlight.clear();
    this.busyLanes.clear();
    for (const entry of this.waiting) entry.deadline = Infinity;
    if (resent > 0) this.config.log.debug('requests to re-send after reconnect', { count: resent });
  }

  /** Rejects every waiting and in-flight call with `error` (shutdown). */
  rejectAll(error: ConversationsError): void {
    this.close();
    for (const entry of this.inFlight.values()) {
      entry.timer?.unsubscribe();
      entry.reject(error);
    }
    this.inFlight.clear();
    this.busyLanes.clear();
    for (const entry of this.waiting.splice(0)) entry.reject(error);
  }

  private close(): void {
    this.open = null;
    this.wake?.unsubscribe();
    this.wake = undefined;
  }

  /** The call is answered (or timed out): its conversation may send its next call. */
  private landed(entry: Entry): void {
    this.inFlight.delete(entry.id);
    entry.timer?.unsubscribe();
    entry.timer = undefined;
    if (entry.lane !== null) this.busyLanes.delete(entry.lane);
  }

  /** The server refused the call for its rate: it had no effect, so it goes out again after `retryAfterMs`. */
  private refused(entry: Entry, error: ErrorFrame['error']): void {
    const now = this.config.scheduler.now();
    const retryAfterMs = Math.max(1, error.details?.retryAfterMs ?? 1_000);
    this.open!.budget.refused(now, retryAfterMs);
    if (now + retryAfterMs > entry.deadline) {
      entry.reject(new ConversationsError('rate_limit_deadline', undefined, { details: error.details, cause: error }));
      return;
    }
    this.config.log.debug('rate limited: re-sending later', { op: entry.op, retryAfterMs });
    this.requeue(entry);
  }

  /** Puts a call back among the waiting ones, at its place in call order. */
  private requeue(entry: Entry): void {
    entry.id = 0;
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1]!.order > entry.order) at -= 1;
    this.waiting.splice(at, 0, entry);
  }

  /** Sends every waiting call that may go now; re-entrant calls (a reply settled while sending) run after. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.sendWhatMayGo();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private sendWhatMayGo(): void {
    this.wake?.unsubscribe();
    this.wake = undefined;
    const open = this.open;
    if (open === null) return;
    const { scheduler } = this.config;
    const now = scheduler.now();
    let wakeAt = Infinity;
    // Conversations with an earlier call still waiting: their later calls wait behind it.
    const held = new Set<string>();
    for (let i = 0; i < this.waiting.length; ) {
      const entry = this.waiting[i]!;
      if (entry.deadline <= now) {
        this.waiting.splice(i, 1);
        entry.reject(new ConversationsError('rate_limit_deadline'));
        continue;
      }
      if (entry.lane !== null && (this.busyLanes.has(entry.lane) || held.has(entry.lane))) {
        held.add(entry.lane);
        wakeAt = Math.min(wakeAt, entry.deadline);
        i += 1;
        continue;
      }
      const wait = open.budget.waitMs(now);
      if (wait > 0) {
        wakeAt = Math.min(wakeAt, now + wait);
        for (let j = i; j < this.waiting.length; j += 1) wakeAt = Math.min(wakeAt, this.waiting[j]!.deadline);
        break;
      }
      const outcome = this.transmitEntry(entry, open.transmit);
      if (outcome === 'unsent') return;
      this.waiting.splice(i, 1);
      if (outcome === 'sent') open.budget.take(now);
    }
    if (wakeAt !== Infinity && this.open === open) {
      this.wake = scheduler.schedule(() => {
        this.wake = undefined;
        this.pump();
      }, Math.max(0, wakeAt - now));
    }
  }

  private transmitEntry(entry: Entry, transmit: Transmit): 'sent' | 'unsent' | 'rejected' {
    const id = this.lastId + 1;
    const frame = { type: 'req', id, op: entry.op, args: entry.args } as RequestFrame;
    const text = JSON.stringify(frame);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: measure exactly only when that bound is not enough.
    if (text.length * 3 > LIMITS.frameBytes && encoder.encode(text).byteLength > LIMITS.frameBytes) {
      entry.reject(new ConversationsError('frame_too_large', `${entry.op}: the request exceeds ${LIMITS.frameBytes} bytes`, { details: { limit: LIMITS.frameBytes } }));
      return 'rejected';
    }
    if (!transmit(frame, text)) return 'unsent';
    this.lastId = id;
    entry.id = id;
    this.inFlight.set(id, entry);
    if (entry.lane !== null) this.busyLanes.add(entry.lane);
    entry.timer = this.config.scheduler.schedule(() => {
      if (this.inFlight.get(id) !== entry) return;
      this.landed(entry);
      entry.reject(new ConversationsError('request_timeout', `no reply to ${entry.op} within ${entry.timeoutMs} ms`));
      this.pump();
    }, entry.timeoutMs);
    return 'sent';
  }
}
