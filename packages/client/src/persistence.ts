// Public API of @rx-conversations/client/persistence: the persistent cache and outbox (OFFLINE-1,
// OFFLINE-2), kept out of the main entry so apps that do not use it do not pay for it (PERF-7).
// The file adapter for Node is in @rx-conversations/client/persistence-node.
export { storagePersistence } from './persistence/storagePersistence.js';
export type { PersistenceOptions } from './persistence/storagePersistence.js';
export { indexedDbPersistence, indexedDbStorage } from './persistence/indexedDbPersistence.js';
export type { IndexedDbPersistenceOptions } from './persistence/indexedDbPersistence.js';
export type { PersistenceStorage } from './persistence/PersistenceStorage.js';
export type { ClientPersistence } from './persistence/ClientPersistence.js';
export { CACHE_BOUNDS, CACHE_SCHEMA_VERSION } from './persistence/cacheSnapshot.js';
