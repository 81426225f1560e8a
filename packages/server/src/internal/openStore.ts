import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { RetentionLimits, Store } from '@rx-conversations/server-core';
import { Checkpointer } from './Checkpointer.js';
import { openDatabase } from './openDatabase.js';
import { SqliteStore } from './SqliteStore.js';

/** An open store, how to close it, and the name nodes sharing it use on the broker. */
export interface OpenedStore {
  readonly store: Store;
  /** True when other nodes may write to the same database. */
  readonly shared: boolean;
  /** Prefix of the broker's channels and keys: the same for every node of one database. */
  readonly namespace: string;
  close(): Promise<void>;
}

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** A URL's scheme: two characters or more, so that a Windows drive (`C:\data`) stays a path. */
const URL_SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Opens the store `database` names: a PostgreSQL URL (several nodes may share it) or an SQLite file
 * (the embedded default, one process). Any other URL is refused: opened as a file path, a misspelt
 * `postgress://` would give each node a private SQLite database of that name.
 */
export async function openStore(database: string, retention: RetentionLimits, durability: 'normal' | 'full', logger: Logger): Promise<OpenedStore> {
  const scheme = URL_SCHEME.exec(database)?.[1];
  if (scheme !== undefined && !isPostgresUrl(database)) {
    throw new Error(`invalid database URL: the scheme is ${scheme}; expected postgres://user:password@host:port/database, or an SQLite file path`);
  }
  if (isPostgresUrl(database)) {
    const { openPostgresStore } = await import('./PostgresStore.js');
    const store = await openPostgresStore(database, { retention, logger });
    const url = new URL(database);
    // Nodes reach one database by different host names; its name is what they share.
    const name = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
    return { store, shared: true, namespace: `rxc:${name}`, close: () => store.close() };
  }
  const db = openDatabase(database, durability);
  const store = new SqliteStore(db, retention);
  const namespace = `rxc:${createHash('sha256').update(database).digest('hex').slice(0, 12)}`;
  // Checkpoints off the event loop (PERF-4); an in-memory database has no log to checkpoint.
  const checkpointer = database === ':memory:' ? undefined : new Checkpointer(db, database, durability === 'full' ? 'FULL' : 'NORMAL', logger);
  return {
    store,
    shared: false,
    namespace,
    close: async () => {
      await checkpointer?.stop();
      db.close();
    },
  };
}
