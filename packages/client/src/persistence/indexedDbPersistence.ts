import type { ClientPersistence } from './ClientPersistence.js';
import type { PersistenceStorage } from './PersistenceStorage.js';
import { storagePersistence, type PersistenceOptions } from './storagePersistence.js';

const STORE = 'snapshots';

/** Options of {@link indexedDbPersistence}. */
export interface IndexedDbPersistenceOptions extends PersistenceOptions {
  /** The IndexedDB database. Default `'rx-conversations'`. */
  readonly databaseName?: string;
  /** The `IDBFactory`. Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
}

/**
 * The persistent cache and outbox in the browser's IndexedDB (OFFLINE-1, OFFLINE-2): one record
 * per identity and server, beside one per client holding its outbox. Plain IndexedDB, no wrapper
 * library (four calls need none).
 *
 * @example
 * import { indexedDbPersistence } from '@rx-conversations/client/persistence';
 * const client = new ConversationsClient(token, { url: 'wss://chat.example.com', persistence: indexedDbPersistence() });
 * client.cached$.subscribe((cached) => banner.toggle(cached)); // shown from the cache until the server confirms it
 */
export function indexedDbPersistence(options: IndexedDbPersistenceOptions = {}): ClientPersistence {
  return storagePersistence(indexedDbStorage(options.databaseName ?? 'rx-conversations', options.indexedDB), options);
}

/** A {@link PersistenceStorage} over one IndexedDB object store; the database opens at the first call. */
export function indexedDbStorage(databaseName: string, factory: IDBFactory | undefined = globalThis.indexedDB): PersistenceStorage {
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (factory === undefined) throw new Error('IndexedDB is not available here');
      const request = factory.open(databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
    }));
  const run = async <T>(mode: IDBTransactionMode, call: (store: IDBObjectStore) => IDBRequest): Promise<T> => {
    const transaction = (await open()).transaction(STORE, mode);
    const request = call(transaction.objectStore(STORE));
    return new Promise<T>((resolve, reject) => {
      // Resolved once the transaction is committed: durable, not just requested.
      transaction.oncomplete = () => resolve(request.result as T);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  return {
    read: async (key) => {
      const value = await run<unknown>('readonly', (store) => store.get(key));
      return typeof value === 'string' ? value : null;
    },
    write: (key, value) => run('readwrite', (store) => store.put(value, key)),
    remove: (key) => run('readwrite', (store) => store.delete(key)),
    // Every key, filtered here: a range would need the IDBKeyRange global, which a passed-in factory may lack.
    keys: async (prefix) => (await run<IDBValidKey[]>('readonly', (store) => store.getAllKeys())).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix)),
  };
}
