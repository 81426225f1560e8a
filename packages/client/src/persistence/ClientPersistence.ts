import type { StoreRuntime } from '../internal/store/StoreRuntime.js';
import type { PendingSend } from '../internal/store/StoreState.js';

/**
 * A persistent cache and outbox for `options.persistence` (OFFLINE-1, OFFLINE-2). Made by the
 * factories of `@rx-conversations/client/persistence` (`indexedDbPersistence()`,
 * `storagePersistence(storage)`) and `@rx-conversations/client/persistence-node` (`filePersistence(dir)`);
 * to keep data somewhere else, implement `PersistenceStorage` and pass it to `storagePersistence`.
 * The client's main entry only calls it: the cache's code stays out of apps that do not use it (PERF-7).
 *
 * @example
 * import { indexedDbPersistence } from '@rx-conversations/client/persistence';
 * const client = new ConversationsClient(token, { url, persistence: indexedDbPersistence() });
 */
export interface ClientPersistence {
  /** Marks values made by the persistence factories (an app implements `PersistenceStorage` instead). */
  readonly kind: 'rx-conversations.persistence';
  /** @internal Called once by the client it was given to, right after construction. */
  attach(host: PersistenceHost): PersistenceLink;
}

/** @internal What the client lends its persistence. */
export interface PersistenceHost {
  /** The server's URL: caches of different servers never mix. */
  readonly url: string;
  readonly runtime: StoreRuntime;
  /** Position of the last durable event applied; null before the first `welcome` (absent on test cores). */
  readonly position: () => number | null;
  /** Makes the first handshake wait for the cache and resume from its position (absent on test cores). */
  readonly resumeFrom?: (position: Promise<number | null>) => void;
  /** Sends again a send restored from the outbox, with its idempotency key (STORE-7). */
  readonly resend: (pending: PendingSend) => void;
  readonly warn: (message: string, fields?: Record<string, unknown>) => void;
}

/** @internal The client's hold on its persistence. */
export interface PersistenceLink {
  /** Writes what is pending at shutdown, or wipes the cache (`clear`). */
  close(clear: boolean): Promise<void>;
}
