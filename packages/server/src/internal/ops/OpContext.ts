import type { OpArgs, OpName, OpResult } from '@rx-conversations/protocol';
import type { Backend } from '../Backend.js';
import type { LivePeer } from '../Hub.js';

/** What an operation handler knows about its caller. */
export interface OpContext {
  readonly backend: Backend;
  readonly identity: string;
  /** The caller's connection, for per-connection state (watches, token). */
  readonly peer: LivePeer & {
    readonly watched: Set<string>;
    updateToken(token: string): Promise<{ expiresAt: number }>;
  };
}

/** Handles one operation; throws a ServerError to refuse it. */
export type OpHandler<O extends OpName> = (ctx: OpContext, args: OpArgs<O>) => OpResult<O> | Promise<OpResult<O>>;

/** A handler for each of a subset of operations. */
export type OpHandlers<O extends OpName> = { readonly [K in O]: OpHandler<K> };
