import { MemoryStore, run, type RetentionLimits, type Step, type Store, type StoreTx } from '@rx-conversations/server-core';
import { openDatabase } from '../../src/internal/openDatabase.js';
import { openPostgresStore } from '../../src/internal/PostgresStore.js';
import { SqliteStore } from '../../src/internal/SqliteStore.js';
import { createTestDatabase } from '../helpers/pgDatabase.js';
import { tempDatabase } from '../helpers/tempDatabase.js';

/** A store opened for one test, and how to close it and delete what it stored. */
export interface TestStore {
  readonly store: Store;
  close(): Promise<void>;
}

/** One adapter of the store contract (CORE-1), opened afresh for each test. */
export interface StoreAdapter {
  readonly name: 'memory' | 'sqlite' | 'postgres';
  open(retention?: RetentionLimits): Promise<TestStore>;
}

/** Keep everything: the default of the contract tests that are not about retention. */
export const KEEP_ALL: RetentionLimits = { maxEvents: Number.POSITIVE_INFINITY, maxAgeMs: Number.POSITIVE_INFINITY };

/**
 * The three adapters: the in-memory store, SQLite on a file in a temp directory, and PostgreSQL on a
 * database created for the test and dropped at close.
 */
export const storeAdapters: readonly StoreAdapter[] = [
  {
    name: 'memory',
    async open(retention = KEEP_ALL) {
      return { store: new MemoryStore(retention.maxEvents), close: async () => undefined };
    },
  },
  {
    name: 'sqlite',
    async open(retention = KEEP_ALL) {
      const file = tempDatabase();
      const db = openDatabase(file.path, 'normal');
      return {
        store: new SqliteStore(db, retention),
        async close() {
          db.close();
          file.cleanup();
        },
      };
    },
  },
  {
    name: 'postgres',
    async open(retention = KEEP_ALL) {
      const database = await createTestDatabase();
      try {
        const store = await openPostgresStore(database.url, { retention });
        return {
          store,
          async close() {
            await store.close();
            await database.drop();
          },
        };
      } catch (err) {
        await database.drop();
        throw err;
      }
    },
  },
];

/** Runs `body` as one write transaction of `store`, whether the store answers at once or not. */
export async function write<R>(store: Store, body: (tx: StoreTx) => Step<R>): Promise<R> {
  return run(store.write(body));
}

/** Runs `body` as one read transaction of `store`. */
export async function read<R>(store: Store, body: (tx: StoreTx) => Step<R>): Promise<R> {
  return run(store.read(body));
}
