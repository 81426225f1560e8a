// Public API of @rx-conversations/client/persistence-node: the persistent cache and outbox in files
// (OFFLINE-1, OFFLINE-2), for Node only. Browsers use @rx-conversations/client/persistence.
export { filePersistence, fileStorage } from './persistence/filePersistence.js';
