/**
 * Where a persistent cache keeps its data (OFFLINE-1): a string store by key. Implement it to keep
 * the cache somewhere the bundled adapters do not reach (React Native's AsyncStorage, an encrypted
 * store, SQLite…) and pass it to `storagePersistence`. Each call may be slow; the client never waits
 * for a write on its hot path, and writes one key at a time, never two writes of the same key at once.
 *
 * @example
 * const storage: PersistenceStorage = {
 *   read: async (key) => AsyncStorage.getItem(key),
 *   write: (key, value) => AsyncStorage.setItem(key, value),
 *   remove: (key) => AsyncStorage.removeItem(key),
 * };
 * const client = new ConversationsClient(token, { url, persistence: storagePersistence(storage) });
 */
export interface PersistenceStorage {
  /** The value stored under `key`, or null when there is none. */
  read(key: string): Promise<string | null>;
  /** Stores `value` under `key`, replacing what was there; resolves once it is durable. */
  write(key: string, value: string): Promise<void>;
  /** Deletes `key`; resolves also when there was nothing. */
  remove(key: string): Promise<void>;
}
