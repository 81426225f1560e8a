import type { OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import type { Core } from '../Core.js';
import type { LivePeer } from '../Fanout.js';
import type { Step } from '../Step.js';

/** The caller's live connection, for per-connection state (watches, token). */
export interface SessionPeer extends LivePeer {
  readonly watched: Set<string>;
  updateToken(token: string): Promise<{ expiresAt: number }>;
}

/** What an operation handler knows about its caller. */
export interface OpContext {
  readonly core: Core;
  readonly identity: string;
  /** The caller's connection; null for work done server-side (the test kit's scripted users). */
  readonly peer: SessionPeer | null;
  /** The sid `conversations.create` gives the new conversation (the test kit's seeds); default a new one. */
  readonly conversationSid?: string;
}

/** Handles one operation; throws a ServerError to refuse it. */
export type OpHandler<O extends OpName> = (ctx: OpContext, args: OpArgs<O>) => Step<OpResult<O>>;

/** A handler for each of a subset of operations. */
export type OpHandlers<O extends OpName> = { readonly [K in O]: OpHandler<K> };
