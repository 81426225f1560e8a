import type { ClientOptions } from '../ClientOptions.js';
import type { ClientCoreLike } from '../ConversationsClient.js';

/**
 * Several tabs of one app share one websocket (OFFLINE-3): `options.tabs`, made by `shareAcrossTabs()`
 * from `@rx-conversations/client/tabs`. The client's main entry only calls it: the tab protocol's
 * code stays out of apps that do not use it (PERF-7).
 *
 * @example
 * import { shareAcrossTabs } from '@rx-conversations/client/tabs';
 * const client = new ConversationsClient(token, { url, tabs: shareAcrossTabs() });
 */
export interface TabSharing {
  /** Marks values made by `shareAcrossTabs()`. */
  readonly kind: 'rx-conversations.tabs';
  /**
   * @internal Called once by the client it was given to: the connection the store talks to, shared
   * with the other tabs of this identity and server, or `open(token)`'s own where tabs cannot share.
   * Throws `TypeError` for invalid `options`, as the client does, also in a tab that opens no socket.
   */
  connect(token: string, options: ClientOptions, open: (token: string) => ClientCoreLike): ClientCoreLike;
}
