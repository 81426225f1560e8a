import type { ErrorCode, OpName } from '@rx-conversations/protocol';
import type { ConnectionState } from '../ConnectionState.js';
import type { ConversationsError } from '../ConversationsError.js';
import type { InboundFrame, SessionStart } from '../internal/Session.js';

/**
 * One inbound batch as the leading tab applied it, numbered by log position: `prev` is the position
 * before it, `seq` after it (equal for a batch of signals only). Followers apply it only when `prev`
 * is at or behind their own position, and only its events past that position.
 */
export interface TabBatch {
  readonly prev: number;
  readonly seq: number;
  readonly frames: readonly InboundFrame[];
}

/** A call's error, as it crosses the channel (an Error does not survive structured cloning whole). */
export interface TabError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: ConversationsError['details'];
}

/**
 * What tabs say to each other on the BroadcastChannel of one identity and server (OFFLINE-3). Every
 * message names its sender (`from`); replies name their addressee (`to`).
 */
export type TabMessage =
  /** A tab took the lock and leads now: followers send their calls to it and join it. */
  | { readonly k: 'leader'; readonly from: string }
  /** A follower asks to join the leader's stream after `lastSeq` (null: it holds nothing yet). */
  | { readonly k: 'hello'; readonly from: string; readonly lastSeq: number | null }
  /** The leader's answer to `hello`: how the follower starts, and what it missed, if it can replay it. */
  | { readonly k: 'welcome'; readonly from: string; readonly to: string; readonly session: SessionStart; readonly batches: readonly TabBatch[]; readonly state: ConnectionState; readonly token: string }
  /** The leader's socket started a session: a follower that holds no replay of it re-reads its state. */
  | { readonly k: 'session'; readonly from: string; readonly session: SessionStart; readonly token: string }
  /** An inbound batch the leader applied. */
  | { readonly k: 'batch'; readonly from: string; readonly batch: TabBatch }
  | { readonly k: 'state'; readonly from: string; readonly state: ConnectionState }
  | { readonly k: 'error'; readonly from: string; readonly error: TabError }
  /** A follower's call, for the leader's socket. */
  | { readonly k: 'call'; readonly from: string; readonly to: string; readonly id: number; readonly op: OpName; readonly args: unknown; readonly idempotent: boolean; readonly timeoutMs?: number }
  | { readonly k: 'reply'; readonly from: string; readonly to: string; readonly id: number; readonly result?: unknown; readonly error?: TabError }
  /** A tab shut down or is going away. */
  | { readonly k: 'bye'; readonly from: string };
