import type { Observable } from 'rxjs';
import type {
  EventFrame,
  OpArgs,
  OpName,
  OpResult,
  SignalFrame,
  User,
  WelcomeFrame,
} from '@rx-conversations/protocol';
import type { ConnectionState } from '../ConnectionState.js';

/**
 * The seam between the connection core (socket, lifecycle, tokens, resume) and the store.
 * All server events reach the store through `inbound$` and nowhere else (STORE-1).
 */
export interface Session {
  /** The identity of the token this client was created with. */
  readonly identity: string;

  /**
   * Every inbound batch of durable events and signals, in order. Durable events are exactly once and
   * gap-free: the core drops duplicates (seq ≤ last applied) and treats a gap as a resync. One
   * emission per websocket message so the store applies a batch in one update (glitch-free). The
   * core counts a durable event as applied once `next()` returns, so subscribers apply synchronously.
   */
  readonly inbound$: Observable<readonly InboundFrame[]>;

  /**
   * One emission per completed handshake (`welcome`), after which the events it announces follow on
   * `inbound$`. `resume: 'fresh' | 'resync'` means the store must (re)read its state; `'resync'`
   * is also a discontinuity the app is told about (CONN-5).
   */
  readonly sessions$: Observable<SessionStart>;

  /** Replays the current state (CONN-2). */
  readonly connectionState$: Observable<ConnectionState>;

  /**
   * Sends a request and resolves with its result, or rejects with a `ConversationsError`.
   * While not connected the call waits in the ordered outbound queue and goes out on (re)connect;
   * if the connection drops with the request in flight, it is re-sent after reconnect when
   * `idempotent` (all writes carry idempotency keys), else it rejects with `connection_lost`.
   * After shutdown it rejects with `client_shut_down`.
   */
  request<O extends OpName>(op: O, args: OpArgs<O>, options?: RequestOptions): Promise<OpResult<O>>;

  /** Completes when the client shuts down (for teardown of everything built on the session). */
  readonly shutdown$: Observable<void>;
}

/** A frame that reaches the store. */
export type InboundFrame = EventFrame | SignalFrame;

/** Facts of one completed handshake. */
export interface SessionStart {
  readonly resume: WelcomeFrame['resume'];
  readonly headSeq: number;
  readonly user: User;
  readonly connectionId: string;
}

/** Per-request options. */
export interface RequestOptions {
  /** Safe to re-send after a dropped connection (reads, and writes carrying an idempotency key). */
  readonly idempotent?: boolean;
  /** Reject with `request_timeout` after this long without a reply once sent. Default 30 s. */
  readonly timeoutMs?: number;
}
