// Opening the PostgreSQL store (SCALE-1): nodes that start at once on a fresh database, a database a
// newer server already migrated, and URLs that cannot work. Each failure must come fast, say what is
// wrong and where, and leave no connection open behind it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { openStore } from '../../src/internal/openStore.js';
import { openPostgresStore } from '../../src/internal/PostgresStore.js';
import { PG_MIGRATIONS } from '../../src/internal/pgMigrations.js';
import { createTestDatabase } from '../helpers/pgDatabase.js';
import { until } from '../helpers/until.js';
import { KEEP_ALL, read, write } from './storeAdapters.js';
import { newEvent } from './storeRows.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDatabase(): Promise<{ url: string; sql: pg.Client }> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  cleanups.push(() => sql.end());
  return { url: database.url, sql };
}

/** Connections the store opened (its application name) that are still open on this database. */
async function storeConnections(sql: pg.Client): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    "SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rx-conversations'",
  );
  return rows[0]!.n;
}

/** A TCP port with nothing listening on it: one the OS just gave out and took back. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server that accepts connections and never says a word (a firewall that swallows packets, a hung host). */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

/** How long `promise` took to reject, and with what. */
async function rejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error('expected a rejection');
}

describe('migrations (SCALE-1)', () => {
  it('SCALE-1: three nodes starting at once on a fresh database all open, and leave one schema at the current version', async () => {
    const { url, sql } = await freshDatabase();

    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url, { retention: KEEP_ALL })));
    for (const store of stores) cleanups.push(() => store.close());

    const { rows: versions } = await sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    const { rows: tables } = await sql.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.map((t) => t.tablename)).toEqual(['conversations', 'idempotency', 'log', 'log_head', 'media', 'memberships', 'messages', 'participants', 'push_registrations', 'reactions', 'roles', 'schema_migrations', 'settings', 'streams', 'users', 'webhook_outbox', 'webhooks']);
    // One log for all three: positions continue from one node to the next.
    const seqs: number[] = [];
    for (const store of stores) seqs.push((await write(store, (tx) => tx.appendEvent(newEvent({ conversation: 'CH1' }, 'hello')))).seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('SCALE-1: reopening a migrated database changes nothing and keeps its data', async () => {
    const { url, sql } = await freshDatabase();
    const first = await openPostgresStore(url, { retention: KEEP_ALL });
    await write(first, (tx) => tx.appendEvent(newEvent({ user: 'alice' }, 'kept')));
    await first.close();

    const again = await openPostgresStore(url, { retention: KEEP_ALL });
    cleanups.push(() => again.close());
    expect(await read(again, (tx) => tx.eventsAfter(0, 10))).toMatchObject([{ seq: 1, payload: '{"label":"kept"}' }]);
    const { rows } = await sql.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM schema_migrations');
    expect(rows[0]!.n).toBe(PG_MIGRATIONS.length);
  });

  it('SCALE-1: a database whose schema is newer than this server is refused at open, naming both versions, and left as it was', async () => {
    const { url, sql } = await freshDatabase();
    const newer = await openPostgresStore(url, { retention: KEEP_ALL });
    await write(newer, (tx) => tx.appendEvent(newEvent({ user: 'alice' }, 'written by the newer server')));
    await newer.close();
    const current = PG_MIGRATIONS.length;
    await sql.query('INSERT INTO schema_migrations (version) VALUES ($1)', [current + 1]);

    const { error } = await rejection(openPostgresStore(url, { retention: KEEP_ALL }));
    expect(error.message).toBe(`the database schema is version ${current + 1}, newer than this server's ${current}; upgrade the server`);

    const { rows: versions } = await sql.query<{ version: number }>('SELECT MAX(version)::int AS version FROM schema_migrations');
    expect(versions[0]!.version).toBe(current + 1);
    const { rows: log } = await sql.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM log');
    expect(log[0]!.n).toBe(1);
    // The refused store closed what it opened (a backend leaves pg_stat_activity just after its socket closes).
    await until(async () => (await storeConnections(sql)) === 0, 5_000, 'the refused store to close its connections');
  });
});

describe('URLs that cannot work (SCALE-1)', () => {
  it('SCALE-1: a malformed URL, another scheme and a URL without a host are refused before any connection, with what is wrong', async () => {
    await expect(openPostgresStore('not a url', { retention: KEEP_ALL })).rejects.toThrow('invalid PostgreSQL URL: expected postgres://user:password@host:port/database');
    await expect(openPostgresStore('mysql://root@127.0.0.1:5432/test', { retention: KEEP_ALL })).rejects.toThrow('invalid PostgreSQL URL: the scheme is mysql, expected postgres or postgresql');
    await expect(openPostgresStore('postgres:///test', { retention: KEEP_ALL })).rejects.toThrow('invalid PostgreSQL URL: it names no host');
    await expect(openPostgresStore('postgres://postgres@127.0.0.1:99999/test', { retention: KEEP_ALL })).rejects.toThrow('invalid PostgreSQL URL');
  });

  it('SCALE-1: nothing listening on the port fails at once, naming host, port and database but not the password', async () => {
    const port = await unusedPort();
    const { error, ms } = await rejection(openPostgresStore(`postgres://rxc:s3cret@127.0.0.1:${port}/rxc`, { retention: KEEP_ALL }));
    expect(error.message).toMatch(new RegExp(`^could not connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/rxc: .*ECONNREFUSED`));
    expect(error.message).not.toContain('s3cret');
    expect(ms).toBeLessThan(2_000);
  });

  it('SCALE-1: a host that accepts the connection but never answers fails after connectTimeoutMs, not never', async () => {
    const port = await silentServer();
    const { error, ms } = await rejection(openPostgresStore(`postgres://rxc@127.0.0.1:${port}/rxc`, { retention: KEEP_ALL, connectTimeoutMs: 300 }));
    expect(error.message).toMatch(new RegExp(`^could not connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/rxc: .*timeout`, 'i'));
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3_000);
  });

  it('SCALE-1: a database that does not exist on a live server is refused, naming it', async () => {
    await expect(openPostgresStore('postgres://postgres@127.0.0.1:5432/rxc_no_such_database', { retention: KEEP_ALL })).rejects.toThrow(
      /^could not connect to PostgreSQL at 127\.0\.0\.1:5432\/rxc_no_such_database: database "rxc_no_such_database" does not exist$/,
    );
  });

  it('SCALE-1: a database URL with another or misspelt scheme is refused, not opened as an SQLite file of that name', async () => {
    const silent = pino({ level: 'silent' });
    for (const [url, scheme] of [['postgress://rxc:s3cret@db:5432/rxc', 'postgress'], ['mysql://root@db/rxc', 'mysql'], ['file:rxc.db', 'file']] as const) {
      // What a wrongly accepted URL would leave behind: a directory or file named after it, here.
      const leftover = join(process.cwd(), url.split('/')[0]!);
      cleanups.push(async () => rmSync(leftover, { recursive: true, force: true }));
      const opening = openStore(url, KEEP_ALL, 'normal', silent);
      await expect(opening).rejects.toThrow(`invalid database URL: the scheme is ${scheme}; expected postgres://user:password@host:port/database, or an SQLite file path`);
      await expect(opening).rejects.not.toThrow('s3cret');
      expect(existsSync(leftover)).toBe(false);
    }
  });
});
