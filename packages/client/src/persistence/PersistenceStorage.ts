/**
 * Where a persistent cache keeps its data (OFFLINE-1): a string store by key. Implement it to keep
 * the cache somewhere the bundled adapters do not reach (React Native's AsyncStorage, an encrypted
 * store, SQLite…) and pass it to `storagePersistence`. Each call may be slow; the client never waits
 * for a write on its hot path, and writes one key at a time, never two writes of the same key at once.
 *
 * Implement `keys` too when several clients of one identity may share the storage (browser tabs, Node
 * processes on one directory): each client then keeps its outbox under a key of its own, and the next
 * client to start sends what any of them left. Without it they share one key, the last write wins,
 * and a send queued offline by one of them can be lost when another writes after it.
 *
 * @example
 * const storage: PersistenceStorage = {
 *   read: async (key) => AsyncStorage.getItem(key),
 *   write: (key, value) => AsyncStorage.setItem(key, value),
 *   remove: (key) => AsyncStorage.removeItem(key),
 *   keys: async (prefix) => (await AsyncStorage.getAllKeys()).filter((key) => key.startsWith(prefix)),
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
  /** The keys stored that start with `prefix`, in any order (optional: see above). */
  keys?(prefix: string): Promise<string[]>;
}
