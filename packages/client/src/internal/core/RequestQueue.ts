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

/** Writes a request frame to the current socket; false when it cannot (then the request waits). */
export type Transmit = (frame: RequestFrame, text: string) => boolean;

interface Entry {
  readonly op: OpName;
  readonly args: unknown;
  readonly idempotent: boolean;
  readonly timeoutMs: number;
  readonly resolve: (result: never) => void;
  readonly reject: (error: ConversationsError) => void;
  /** The wire id of the current attempt, 0 while queued. */
  id: number;
  /** The reply timer of the current attempt. */
  timer: Subscription | undefined;
}

const encoder = new TextEncoder();

/**
 * The outbound side of `Session.request` (CONN-6 in the brief, STORE-7): an ordered queue of calls
 * waiting for a connection, bounded (`queue_full`), and the calls in flight by wire id. Ids come from
 * one counter for the client's life, so they strictly increase on every connection as the server
 * requires. On a dropped connection, idempotent calls go back to the front of the queue in their
 * original order; the others reject with `connection_lost`.
 */
export class RequestQueue {
  private readonly waiting: Entry[] = [];
  private readonly inFlight = new Map<number, Entry>();
  private lastId = 0;

  constructor(
    private readonly config: {
      readonly scheduler: SchedulerLike;
      readonly maxQueued: number;
      readonly defaultTimeoutMs: number;
      readonly log: CoreLog;
    },
  ) {}

  /** Calls waiting for a connection. */
  get queuedCount(): number {
    return this.waiting.length;
  }

  /** Calls sent and not answered yet. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Sends the call now through `transmit` when given and nothing waits before it; else queues it.
   * Rejects at once with `queue_full` when the queue is at its bound.
   */
  submit<O extends OpName>(op: O, args: OpArgs<O>, options: RequestOptions | undefined, transmit: Transmit | null): Promise<OpResult<O>> {
    return new Promise<OpResult<O>>((resolve, reject) => {
      const timeoutMs = options?.timeoutMs ?? this.config.defaultTimeoutMs;
      const entry: Entry = {
        op, args, idempotent: options?.idempotent === true, timeoutMs,
        resolve: resolve as (result: never) => void, reject, id: 0, timer: undefined,
      };
      if (transmit !== null && this.waiting.length === 0 && this.transmitEntry(entry, transmit) !== 'unsent') return;
      if (this.waiting.length >= this.config.maxQueued) {
        reject(new ConversationsError('queue_full', `${this.waiting.length} calls already wait for a connection`, { details: { limit: this.config.maxQueued } }));
        return;
      }
      this.waiting.push(entry);
    });
  }

  /** Sends every waiting call in order, stopping at the first the socket does not take. */
  flush(transmit: Transmit): void {
    while (this.waiting.length > 0) {
      const entry = this.waiting[0]!;
      if (this.transmitEntry(entry, transmit) === 'unsent') return;
      this.waiting.shift();
    }
  }

  /** Settles the call a `res` frame answers. Returns false for an unknown id (a reply after its timeout). */
  settle(frame: ResultFrame | ErrorFrame): boolean {
    if (frame.id === null) return false;
    const entry = this.inFlight.get(frame.id);
    if (entry === undefined) return false;
    this.inFlight.delete(frame.id);
    entry.timer?.unsubscribe();
    if (frame.ok) {
      entry.resolve(frame.result as never);
    } else {
      const { code, message, details } = frame.error;
      entry.reject(new ConversationsError(code, message, { details, cause: frame.error }));
    }
    return true;
  }

  /** The socket is gone: idempotent calls in flight wait again (first, in order); others reject. */
  connectionLost(): void {
    const resend: Entry[] = [];
    for (const entry of this.inFlight.values()) {
      entry.timer?.unsubscribe();
      entry.timer = undefined;
      if (entry.idempotent) resend.push(entry);
      else entry.reject(new ConversationsError('connection_lost', `the connection dropped before ${entry.op} was answered`));
    }
    this.inFlight.clear();
    if (resend.length > 0) {
      // Map iteration is insertion order, which is send order.
      for (const entry of resend) entry.id = 0;
      this.waiting.unshift(...resend);
      this.config.log.debug('requests to re-send after reconnect', { count: resend.length });
    }
  }

  /** Rejects every waiting and in-flight call with `error` (shutdown). */
  rejectAll(error: ConversationsError): void {
    for (const entry of this.inFlight.values()) {
      entry.timer?.unsubscribe();
      entry.reject(error);
    }
    this.inFlight.clear();
    for (const entry of this.waiting.splice(0)) entry.reject(error);
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
    entry.timer = this.config.scheduler.schedule(() => {
      if (this.inFlight.get(id) !== entry) return;
      this.inFlight.delete(id);
      entry.reject(new ConversationsError('request_timeout', `no reply to ${entry.op} within ${entry.timeoutMs} ms`));
    }, entry.timeoutMs);
    return 'sent';
  }
}
