import type { ErrorCode } from './errorCodes.js';
import type { User } from './entities.js';
import type { EventKind, Events, SignalKind, Signals } from './events.js';
import type { OpName, Ops } from './ops.js';

/**
 * Current protocol version, sent in `hello`. Version 2: `seq` is a position in the server's one event
 * log (increasing, not contiguous per user), and each event names the previous event of its stream
 * (`prev`) so a client can still see a gap.
 */
export const PROTOCOL_VERSION = 2;

/**
 * Websocket subprotocols. The client offers `[SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token]`; the
 * server authenticates the token during the HTTP upgrade (rejecting with 401 before any socket
 * exists, SRV-2) and selects `SUBPROTOCOL`. Browsers cannot set headers on a websocket, and a token
 * in the URL would end up in access logs; a JWT is made only of characters a subprotocol allows.
 */
export const SUBPROTOCOL = 'rxc.v1';
export const AUTH_SUBPROTOCOL_PREFIX = 'rxc.auth.';

// ───────────────────────────── client → server ─────────────────────────────

/**
 * First frame on every connection. `lastSeq` (omitted on a fresh start) is the position of the last
 * durable event the client applied (or the `headSeq` it was welcomed with); the server replays every
 * event after it that this user may see (CONN-5).
 */
export interface HelloFrame {
  readonly type: 'hello';
  readonly v: number;
  readonly lastSeq?: number;
}

/** A request. `id` is a positive safe integer, strictly increasing per connection. */
export interface RequestFrame<O extends OpName = OpName> {
  readonly type: 'req';
  readonly id: number;
  readonly op: O;
  readonly args: Ops[O]['args'];
}

/** Heartbeat from the client; the server answers `pong` at once (CONN-4). */
export interface PingFrame {
  readonly type: 'ping';
}

/** Any frame a client may send. */
export type ClientFrame = HelloFrame | RequestFrame | PingFrame;

// ───────────────────────────── server → client ─────────────────────────────

/** Answer to `hello`. Durable events follow it, starting at `lastSeq + 1` when `resumed`. */
export interface WelcomeFrame {
  readonly type: 'welcome';
  readonly v: number;
  readonly identity: string;
  readonly connectionId: string;
  /** The caller's user. */
  readonly user: User;
  /** The newest position in the server's event log when the welcome was written. */
  readonly headSeq: number;
  /**
   * `resumed`: every event after the client's `lastSeq` follows, in order, then live ones.
   * `fresh`: no `lastSeq` was given; live events after `headSeq` follow.
   * `resync`: the log no longer holds everything after `lastSeq`; live events after `headSeq`
   * follow, and the client must re-read its state (and signal a discontinuity).
   */
  readonly resume: 'resumed' | 'fresh' | 'resync';
  /** Token expiry, epoch ms. */
  readonly tokenExpiresAt: number;
  /** The client should send a ping when it has sent nothing for this long. */
  readonly heartbeatIntervalMs: number;
  readonly serverTime: number;
  /**
   * The connection's request budget: a token bucket refilled at `ratePerSecond` up to `burst`, full
   * when the welcome is written. Requests beyond it are answered `rate_limited`. Null: no limit;
   * absent: a server that does not announce it (ROBUST-1).
   */
  readonly rateLimit?: { readonly ratePerSecond: number; readonly burst: number } | null;
}

/** Successful reply to request `id`. */
export interface ResultFrame<O extends OpName = OpName> {
  readonly type: 'res';
  readonly id: number;
  readonly ok: true;
  readonly result: Ops[O]['result'];
}

/** A precise, stable error. `details.path` names the offending argument where there is one. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: { readonly path?: string; readonly retryAfterMs?: number; readonly limit?: number; readonly status?: number; readonly permission?: string };
}

/** Failed reply to request `id` (or `id: null` when the frame was too broken to have one). */
export interface ErrorFrame {
  readonly type: 'res';
  readonly id: number | null;
  readonly ok: false;
  readonly error: WireError;
}

/**
 * A durable event. `seq` is its position in the server's one event log: increasing on every connection,
 * with positions the user may not see left out. Each event belongs to one stream — `stream` names the
 * conversation, or is absent for the user's own stream (membership changes, personal settings) — and
 * `prev` is the position of the previous event of that stream (0 for its first). The frame is the same
 * for every recipient (CORE-2).
 */
export interface EventFrame<K extends EventKind = EventKind> {
  readonly type: 'ev';
  readonly seq: number;
  readonly prev: number;
  readonly stream?: string;
  readonly kind: K;
  readonly data: Events[K];
  readonly at: number;
}

/** An ephemeral signal (typing, watched users): no sequence number, not replayed. */
export interface SignalFrame<K extends SignalKind = SignalKind> {
  readonly type: 'sig';
  readonly kind: K;
  readonly data: Signals[K];
}

/** Heartbeat answer. */
export interface PongFrame {
  readonly type: 'pong';
  readonly serverTime: number;
}

/** Server notices: the token is about to expire (SRV-2, CONN-7). */
export interface NoticeFrame {
  readonly type: 'notice';
  readonly kind: 'tokenAboutToExpire';
  readonly expiresAt: number;
}

/** Any frame a server may send. */
export type ServerFrame = WelcomeFrame | ResultFrame | ErrorFrame | EventFrame | SignalFrame | PongFrame | NoticeFrame;

/**
 * One websocket message carries one frame, or — when the server has several queued for the same
 * socket — a JSON array of frames in order (PERF-2 batching). Clients must accept both.
 */
export type ServerMessage = ServerFrame | readonly ServerFrame[];
