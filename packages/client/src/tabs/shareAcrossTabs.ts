import { validateOptions } from '../ClientOptions.js';
import { decodeTokenClaims } from '../internal/core/tokenClaims.js';
import { TabCore, type BroadcastChannelLike, type LockManagerLike } from './TabCore.js';
import type { TabSharing } from './TabSharing.js';

/**
 * The version of what tabs say to each other. It is part of the lock's and the channel's name, so
 * during a deployment a tab still running the old app and one running the new never share a socket
 * (each version has its own leader) instead of misreading each other.
 */
const TAB_PROTOCOL = 1;

/** Options of {@link shareAcrossTabs}. The defaults are the browser's own APIs. */
export interface ShareAcrossTabsOptions {
  /** The Web Locks API. Default `navigator.locks`. */
  readonly locks?: LockManagerLike;
  /** The BroadcastChannel constructor. Default `globalThis.BroadcastChannel`. */
  readonly BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  /**
   * Inbound batches each tab keeps so that a tab that falls behind, or the tabs that join a new
   * leader, catch up without re-reading their state. Default 1,000.
   */
  readonly replayBatches?: number;
}

/**
 * Lets the tabs of one app that are signed in as the same identity on the same server share one
 * websocket (OFFLINE-3). One tab leads: it holds a Web Lock, owns the socket, and posts what the socket
 * brings on a BroadcastChannel; the others mirror its store and send their calls through it. When
 * the leading tab closes, another takes the lock and the socket over, resuming from where its store
 * is, and no event is lost or applied twice. Where Web Locks or BroadcastChannel are missing (or the
 * token has no identity), each tab connects on its own, as without this option.
 *
 * Every tab keeps its own store, its own handles and its own persistent cache, and behaves as a
 * client with its own socket would: `connectionState$` is the leading tab's, calls resolve once their
 * effect is in this tab's store.
 *
 * @example
 * import { ConversationsClient } from '@rx-conversations/client';
 * import { shareAcrossTabs } from '@rx-conversations/client/tabs';
 * const client = new ConversationsClient(token, { url: 'wss://chat.example.com', tabs: shareAcrossTabs() });
 */
export function shareAcrossTabs(options: ShareAcrossTabsOptions = {}): TabSharing {
  const replayBatches = options.replayBatches ?? 1_000;
  if (!Number.isSafeInteger(replayBatches) || replayBatches < 0) throw new TypeError('shareAcrossTabs: replayBatches must be a non-negative integer');
  if (options.locks !== undefined && typeof options.locks?.request !== 'function') throw new TypeError('shareAcrossTabs: locks must have a request function (the Web Locks API)');
  if (options.BroadcastChannel !== undefined && typeof options.BroadcastChannel !== 'function') throw new TypeError('shareAcrossTabs: BroadcastChannel must be a constructor');
  return {
    kind: 'rx-conversations.tabs',
    connect(token, clientOptions, open) {
      const { url } = validateOptions(clientOptions);
      const locks = options.locks ?? (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
      const Channel = options.BroadcastChannel ?? (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
      const identity = decodeTokenClaims(token)?.identity ?? null;
      if (locks === undefined || Channel === undefined || identity === null) return open(token);
      const name = `rx-conversations.tabs.v${TAB_PROTOCOL}:${identity}@${url}`;
      return new TabCore({ token, identity, name, connect: open, channel: new Channel(name), locks, ringSize: replayBatches });
    },
  };
}
