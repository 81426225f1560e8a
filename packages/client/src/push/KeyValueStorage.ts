/**
 * Where the client remembers the last push registration (STORE-11). `localStorage` fits, as does
 * React Native's AsyncStorage (methods may return promises).
 *
 * @example
 * const storage: KeyValueStorage = {
 *   getItem: (key) => AsyncStorage.getItem(key),
 *   setItem: (key, value) => AsyncStorage.setItem(key, value),
 *   removeItem: (key) => AsyncStorage.removeItem(key),
 * };
 */
export interface KeyValueStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/**
 * A storage that forgets everything with the process.
 *
 * @example
 * new ConversationsClient(token, { url, storage: createMemoryStorage() });
 */
export function createMemoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** `globalThis.localStorage` when present and usable, else a memory storage. */
export function defaultStorage(): KeyValueStorage {
  try {
    const ls = (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    if (ls !== undefined && typeof ls.getItem === 'function') {
      ls.getItem('rxc.probe');
      return ls;
    }
  } catch {
    // Access denied (privacy mode, sandboxed iframe): fall through.
  }
  return createMemoryStorage();
}
