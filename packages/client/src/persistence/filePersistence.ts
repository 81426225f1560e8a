import type { ClientPersistence } from './ClientPersistence.js';
import type { PersistenceStorage } from './PersistenceStorage.js';
import { storagePersistence, type PersistenceOptions } from './storagePersistence.js';

/** The part of `node:fs/promises` the file adapter uses (typed here: the client package has no Node types). */
interface FsPromises {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string, encoding: 'utf8'): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  readdir(path: string): Promise<string[]>;
}

/**
 * The persistent cache and outbox in files, for Node (OFFLINE-1, OFFLINE-2): one JSON file per
 * identity and server in `directory` (created when missing), beside one per client holding its outbox.
 * A write goes to a temporary file that then replaces the old one, so a crash mid-write leaves the
 * previous snapshot whole.
 *
 * @example
 * import { filePersistence } from '@rx-conversations/client/persistence-node';
 * const client = new ConversationsClient(token, { url, WebSocket, persistence: filePersistence('./.chat-cache') });
 */
export function filePersistence(directory: string, options: PersistenceOptions = {}): ClientPersistence {
  if (typeof directory !== 'string' || directory.length === 0) throw new TypeError('filePersistence: directory must be a non-empty string');
  return storagePersistence(fileStorage(directory), options);
}

/** A {@link PersistenceStorage} of one file per key in `directory`. */
export function fileStorage(directory: string): PersistenceStorage {
  // Loaded on first use, by a specifier bundlers leave alone: this module never drags Node into a browser build.
  const specifier = 'node:fs/promises';
  let fs: Promise<FsPromises> | undefined;
  const load = (): Promise<FsPromises> => (fs ??= import(specifier) as Promise<FsPromises>);
  const dir = directory.replace(/[/\\]+$/, '');
  const pathOf = (key: string): string => `${dir}/${encodeURIComponent(key)}.json`;
  return {
    async read(key) {
      try {
        return await (await load()).readFile(pathOf(key), 'utf8');
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(key, value) {
      const f = await load();
      await f.mkdir(dir, { recursive: true });
      const path = pathOf(key);
      await f.writeFile(`${path}.tmp`, value, 'utf8');
      await f.rename(`${path}.tmp`, path);
    },
    async remove(key) {
      await (await load()).rm(pathOf(key), { force: true });
    },
    async keys(prefix) {
      let names: string[];
      try {
        names = await (await load()).readdir(dir);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return [];
        throw error;
      }
      // Temporary files end in `.json.tmp` and are left out; other files' names are not ours to decode.
      const keys: string[] = [];
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        let key: string;
        try {
          key = decodeURIComponent(name.slice(0, -'.json'.length));
        } catch {
          continue;
        }
        if (key.startsWith(prefix)) keys.push(key);
      }
      return keys;
    },
  };
}
