import type { StoreRuntime } from '../internal/store/StoreRuntime.js';
import type { ClientCore } from '../internal/core/ClientCore.js';
import type { ConversationsClient, ConversationsClientOptions } from '../ConversationsClient.js';

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

/** @internal What the client lends its persistence: its options, its connection core, its store, itself. */
export interface PersistenceHost {
  readonly options: Pick<ConversationsClientOptions, 'url' | 'logger'>;
  /** Test cores have neither a position nor a handshake to hold. */
  readonly core: Partial<Pick<ClientCore, 'lastAppliedSeq' | 'resumeFrom'>>;
  readonly runtime: StoreRuntime;
  /** Restored sends go out again through their conversation's handle. */
  readonly client: Pick<ConversationsClient, 'conversation'>;
}

/** @internal The client's hold on its persistence. */
export interface PersistenceLink {
  /** Writes what is pending at shutdown, or wipes the cache (`clear`). */
  close(clear: boolean): Promise<void>;
}
