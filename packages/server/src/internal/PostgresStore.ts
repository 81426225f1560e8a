import pg, { type PoolClient, type QueryResultRow } from 'pg';
import type { PushType } from '@rx-conversations/protocol';
import {
  wait,
  type ConversationRow,
  type IdempotencyRow,
  type LoggedEvent,
  type MediaRow,
  type MessageRow,
  type ParticipantRow,
  type RegistrationRow,
  type RetentionLimits,
  type RoleRow,
  type Step,
  type Store,
  type StoreTx,
  type UserRow,
  type WebhookDeliveryRow,
  type WebhookRow,
} from '@rx-conversations/server-core';
import { migratePostgres } from './pgMigrations.js';

/**
 * The transaction advisory lock every write takes first ('rxc' + 2). Holding it until commit makes
 * the writes of every node one serial order, as SQLite's single writer is: the ops' read-then-write
 * logic stays correct, and since positions are allocated under it, commit order equals position order
 * (if position n is visible, 1..n are) — what lets a node poll `eventsAfter` without skipping one.
 */
const WRITE_LOCK_KEY = 0x72786302;

/** Where a logger is wanted: the pool's background errors (a dropped idle connection). */
export interface PostgresStoreLogger {
  error(details: object, message: string): void;
}

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Event log retention (SRV-4): count retention is paid at append, like SQLite's. */
  readonly retention: RetentionLimits;
  /** Connections in the pool. Default 10. */
  readonly poolSize?: number;
  /** How long start-up and each checkout wait for a connection. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  readonly logger?: PostgresStoreLogger;
}

interface LogRow {
  seq: number;
  prev: number;
  conversation_sid: string | null;
  identity: string | null;
  kind: string;
  payload: string;
  at: number;
}

const toEvent = (row: LogRow): LoggedEvent => ({
  seq: row.seq,
  prev: row.prev,
  conversationSid: row.conversation_sid,
  identity: row.identity,
  kind: row.kind,
  payload: row.payload,
  at: row.at,
});

/** BIGINT (int8) as a JS number, as SQLite gives integers; every value stored fits in 2^53. */
const INT8_OID = 20;

/**
 * The PostgreSQL store (CORE-1, SCALE-1): several nodes share one database. Every step yields a
 * promise, so the core awaits it (`synchronous` false). Writes are serialised across all nodes by one
 * advisory lock (see {@link WRITE_LOCK_KEY}); reads run in a read-only REPEATABLE READ transaction, so
 * every statement of a read sees one snapshot. Each transaction holds one pooled connection from BEGIN
 * to COMMIT and does no other I/O. Open it with {@link openPostgresStore}.
 */
export class PostgresStore implements Store {
  readonly synchronous = false;

  /** @internal Use {@link openPostgresStore}: it migrates the schema and checks the connection. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly retention: RetentionLimits,
  ) {}

  /** Runs `body` as one transaction; the step ends only once COMMIT has returned. */
  *write<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    return yield* this.transaction(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`, body);
  }

  *read<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    return yield* this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', body);
  }

  *prune(now: number, limits: { readonly events: RetentionLimits; readonly idempotencyTtlMs: number; readonly registrationIdleMs: number }): Step<void> {
    yield* this.write(function* (tx) {
      const { client } = tx as PgTx;
      // Positions follow commit order, and so (roughly, one clock per node) do times: the first young
      // event in log order bounds what goes, found from the oldest end, so pruning costs what it drops.
      yield* wait(
        client.query({
          name: 'pruneLog',
          text: `DELETE FROM log WHERE seq < COALESCE((SELECT seq FROM log WHERE at >= $1 ORDER BY seq LIMIT 1),
            (SELECT seq FROM log_head) + 1)`,
          values: [now - limits.events.maxAgeMs],
        }),
      );
      // Intervals that ended before the oldest retained event can show nothing any more.
      yield* wait(client.query('DELETE FROM memberships WHERE to_seq IS NOT NULL AND to_seq < (SELECT COALESCE(MIN(seq), 0) FROM log)'));
      yield* wait(client.query('DELETE FROM idempotency WHERE created_at < $1', [now - limits.idempotencyTtlMs]));
      yield* wait(client.query('DELETE FROM push_registrations WHERE last_seen_at < $1', [now - limits.registrationIdleMs]));
    });
  }

  /** Ends the pool: waits for checked-out connections to be released, then closes them all. */
  async close(): Promise<void> {
    await this.pool.end();
  }

  private *transaction<R>(begin: string, body: (tx: StoreTx) => Step<R>): Step<R> {
    const client = yield* wait(this.pool.connect());
    // Until the transaction has ended one way or the other, the connection may hold an open
    // transaction (and the write lock): released then, it is destroyed rather than reused.
    let ended = false;
    try {
      yield* wait(client.query(begin));
      let result: R;
      try {
        result = yield* body(new PgTx(client, this.retention));
      } catch (error) {
        yield* wait(client.query('ROLLBACK'));
        ended = true;
        throw error;
      }
      const committed = yield* wait(client.query('COMMIT'));
      ended = true;
      // A statement that failed aborted the transaction, even if the body caught its error: COMMIT then
      // rolls back without an error. The caller must not be told that its writes are stored.
      if (committed.command === 'ROLLBACK') throw new Error('the transaction was rolled back by an earlier error; nothing was written');
      return result;
    } finally {
      client.release(!ended);
    }
  }
}

/**
 * Opens the PostgreSQL store at `url` (`postgres://user:password@host:port/database`), checks that the
 * database answers and brings its schema up to date (safe when several nodes start at once). Fails fast
 * with a clear message on a malformed URL, an unreachable database or a schema newer than this server.
 *
 * @example
 * const store = await openPostgresStore('postgres://rxc@db:5432/rxc', { retention: { maxEvents: 1_000_000, maxAgeMs: 7 * 86_400_000 } });
 * await store.close();
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
  const where = describeUrl(url);
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // A node stuck mid-transaction would hold the write lock for every node: PostgreSQL ends it.
    idle_in_transaction_session_timeout: 30_000,
    application_name: 'rx-conversations',
    types,
  });
  // An idle connection that drops (database restart) is reported here; unhandled, it would crash the
  // process. The pool replaces it on the next checkout.
  pool.on('error', (err) => options.logger?.error({ err }, 'PostgreSQL idle connection failed'));
  // A connection that drops while checked out also emits 'error' (besides failing its query, which the
  // transaction reports): heard here, it cannot crash the process either.
  pool.on('connect', (connection) => connection.on('error', (err) => options.logger?.error({ err }, 'PostgreSQL connection failed')));
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new Error(`could not connect to PostgreSQL at ${where}: ${(cause as Error).message}`, { cause });
  }
  try {
    await migratePostgres(client);
  } catch (err) {
    client.release(true);
    await pool.end().catch(() => undefined);
    throw err;
  }
  client.release();
  return new PostgresStore(pool, options.retention);
}

/** `host:port/database` for messages (never the password); throws on a URL that is not PostgreSQL's. */
function describeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('invalid PostgreSQL URL: expected postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`invalid PostgreSQL URL: the scheme is ${parsed.protocol.slice(0, -1)}, expected postgres or postgresql`);
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw new Error('invalid PostgreSQL URL: it names no host');
  }
  return `${parsed.host}${parsed.pathname}`;
}

/**
 * One transaction's view of the store: every method is one statement (or a few) on the transaction's
 * connection. Named queries are prepared once per connection.
 */
class PgTx implements StoreTx {
  constructor(
    readonly client: PoolClient,
    private readonly retention: RetentionLimits,
  ) {}

  private *rows<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Step<T[]> {
    return (yield* wait(this.client.query<T>({ name, text, values }))).rows;
  }

  private *first<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Step<T | undefined> {
    return (yield* this.rows<T>(name, text, values))[0];
  }

  private *exec(name: string, text: string, values: unknown[]): Step<number> {
    return (yield* wait(this.client.query({ name, text, values }))).rowCount ?? 0;
  }

  getConversation(sid: string): Step<ConversationRow | undefined> {
    return this.first('getConversation', 'SELECT * FROM conversations WHERE sid = $1', [sid]);
  }

  getConversationByUniqueName(uniqueName: string): Step<ConversationRow | undefined> {
    return this.first('getConversationByUniqueName', 'SELECT * FROM conversations WHERE unique_name = $1', [uniqueName]);
  }

  *insertConversation(row: ConversationRow): Step<void> {
    yield* this.exec(
      'insertConversation',
      `INSERT INTO conversations (sid, unique_name, friendly_name, attributes, created_by, created_at, updated_at, version,
        last_message_index, last_message_at, messages_count, participants_count, state, state_updated_at, timer_inactive_ms,
        timer_closed_ms, inactive_at, closed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
      [row.sid, row.unique_name, row.friendly_name, row.attributes, row.created_by, row.created_at, row.updated_at, row.version,
        row.last_message_index, row.last_message_at, row.messages_count, row.participants_count, row.state, row.state_updated_at,
        row.timer_inactive_ms, row.timer_closed_ms, row.inactive_at, row.closed_at],
    );
  }

  *updateConversation(row: ConversationRow): Step<void> {
    yield* this.exec(
      'updateConversation',
      `UPDATE conversations SET unique_name = $2, friendly_name = $3, attributes = $4, updated_at = $5, version = $6,
        last_message_index = $7, last_message_at = $8, messages_count = $9, participants_count = $10, state = $11,
        state_updated_at = $12, timer_inactive_ms = $13, timer_closed_ms = $14, inactive_at = $15, closed_at = $16 WHERE sid = $1`,
      [row.sid, row.unique_name, row.friendly_name, row.attributes, row.updated_at, row.version, row.last_message_index,
        row.last_message_at, row.messages_count, row.participants_count, row.state, row.state_updated_at, row.timer_inactive_ms,
        row.timer_closed_ms, row.inactive_at, row.closed_at],
    );
  }

  *deleteConversation(sid: string): Step<void> {
    yield* this.exec(
      'deleteConversation',
      `WITH m AS (DELETE FROM messages WHERE conversation_sid = $1), p AS (DELETE FROM participants WHERE conversation_sid = $1),
        w AS (DELETE FROM webhooks WHERE conversation_sid = $1), r AS (DELETE FROM reactions WHERE conversation_sid = $1),
        media_due AS (UPDATE media SET delete_after = 0 WHERE conversation_sid = $1)
        DELETE FROM conversations WHERE sid = $1`,
      [sid],
    );
  }

  getParticipant(conversationSid: string, identity: string): Step<ParticipantRow | undefined> {
    return this.first('getParticipant', 'SELECT * FROM participants WHERE conversation_sid = $1 AND identity = $2', [conversationSid, identity]);
  }

  listParticipants(conversationSid: string): Step<ParticipantRow[]> {
    return this.rows('listParticipants', 'SELECT * FROM participants WHERE conversation_sid = $1 ORDER BY id', [conversationSid]);
  }

  *insertParticipant(row: Omit<ParticipantRow, 'id'>): Step<ParticipantRow> {
    const inserted = yield* this.first<{ id: number }>(
      'insertParticipant',
      `INSERT INTO participants (sid, conversation_sid, identity, role, attributes, notification_level, last_read_message_index,
        last_read_at, joined_at, updated_at, version, type, binding) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        RETURNING id`,
      [row.sid, row.conversation_sid, row.identity, row.role, row.attributes, row.notification_level, row.last_read_message_index,
        row.last_read_at, row.joined_at, row.updated_at, row.version, row.type, row.binding],
    );
    return { ...row, id: inserted!.id };
  }

  *updateParticipant(row: ParticipantRow): Step<void> {
    yield* this.exec(
      'updateParticipant',
      `UPDATE participants SET role = $2, attributes = $3, notification_level = $4, last_read_message_index = $5,
        last_read_at = $6, updated_at = $7, version = $8 WHERE id = $1`,
      [row.id, row.role, row.attributes, row.notification_level, row.last_read_message_index, row.last_read_at, row.updated_at, row.version],
    );
  }

  bridgedParticipants(conversationSid: string): Step<ParticipantRow[]> {
    return this.rows('bridgedParticipants', `SELECT * FROM participants WHERE conversation_sid = $1 AND type != 'chat' ORDER BY id`, [conversationSid]);
  }

  *deleteParticipant(id: number): Step<void> {
    yield* this.exec('deleteParticipant', 'DELETE FROM participants WHERE id = $1', [id]);
  }

  membershipsPage(identity: string, afterId: number, limit: number): Step<ParticipantRow[]> {
    return this.rows('membershipsPage', 'SELECT * FROM participants WHERE identity = $1 AND id > $2 ORDER BY id LIMIT $3', [identity, afterId, limit]);
  }

  *conversationSidsOf(identity: string): Step<string[]> {
    const rows = yield* this.rows<{ conversation_sid: string }>(
      'conversationSidsOf',
      'SELECT conversation_sid FROM participants WHERE identity = $1 ORDER BY id',
      [identity],
    );
    return rows.map((r) => r.conversation_sid);
  }

  participantsPage(conversationSid: string, afterId: number, limit: number): Step<ParticipantRow[]> {
    return this.rows('participantsPage', 'SELECT * FROM participants WHERE conversation_sid = $1 AND id > $2 ORDER BY id LIMIT $3', [
      conversationSid,
      afterId,
      limit,
    ]);
  }

  getParticipantBySid(sid: string): Step<ParticipantRow | undefined> {
    return this.first('getParticipantBySid', 'SELECT * FROM participants WHERE sid = $1', [sid]);
  }

  conversationsPage(after: { readonly createdAt: number; readonly sid: string } | null, limit: number): Step<ConversationRow[]> {
    return after === null
      ? this.rows('conversationsFirst', 'SELECT * FROM conversations ORDER BY created_at, sid LIMIT $1', [limit])
      : this.rows('conversationsAfter', 'SELECT * FROM conversations WHERE (created_at, sid) > ($1, $2) ORDER BY created_at, sid LIMIT $3', [
          after.createdAt,
          after.sid,
          limit,
        ]);
  }

  webhookTargets(conversationSid: string | null, kind: 'pre' | 'post'): Step<WebhookRow[]> {
    return this.rows(
      'webhookTargets',
      `SELECT * FROM webhooks WHERE kind = $1 AND (scope != 'conversation' OR conversation_sid = $2) ORDER BY created_at, sid`,
      [kind, conversationSid],
    );
  }

  listWebhooks(scope: WebhookRow['scope'], conversationSid: string | null): Step<WebhookRow[]> {
    return this.rows(
      'listWebhooks',
      `SELECT * FROM webhooks WHERE scope = $1 AND (scope != 'conversation' OR conversation_sid = $2) ORDER BY created_at, sid`,
      [scope, conversationSid],
    );
  }

  listRoles(): Step<RoleRow[]> {
    return this.rows<RoleRow>('listRoles', 'SELECT sid, friendly_name, type, permissions, created_at, updated_at FROM roles', []);
  }

  *putRole(row: RoleRow): Step<void> {
    yield* this.exec(
      'putRole',
      `INSERT INTO roles VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sid) DO UPDATE SET friendly_name = $2, type = $3,
        permissions = $4, created_at = $5, updated_at = $6`,
      [row.sid, row.friendly_name, row.type, row.permissions, row.created_at, row.updated_at],
    );
  }

  *deleteRole(sid: string): Step<void> {
    yield* this.exec('deleteRole', 'DELETE FROM roles WHERE sid = $1', [sid]);
  }

  *countRoleHolders(sid: string): Step<number> {
    const row = yield* this.first<{ n: number }>(
      'countRoleHolders',
      'SELECT (SELECT COUNT(*) FROM participants WHERE role = $1) + (SELECT COUNT(*) FROM users WHERE role_sid = $1) AS n',
      [sid],
    );
    return row!.n;
  }

  listSettings(): Step<Array<{ key: string; value: string }>> {
    return this.rows('listSettings', 'SELECT key, value FROM settings', []);
  }

  *putSetting(key: string, value: string): Step<void> {
    yield* this.exec('putSetting', 'INSERT INTO settings VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2', [key, value]);
  }

  getWebhook(sid: string): Step<WebhookRow | undefined> {
    return this.first('getWebhook', 'SELECT * FROM webhooks WHERE sid = $1', [sid]);
  }

  *putWebhook(row: WebhookRow): Step<void> {
    yield* this.exec(
      'putWebhook',
      `INSERT INTO webhooks VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sid) DO UPDATE SET scope = $2,
        conversation_sid = $3, kind = $4, url = $5, method = $6, filters = $7, created_at = $8, updated_at = $9`,
      [row.sid, row.scope, row.conversation_sid, row.kind, row.url, row.method, row.filters, row.created_at, row.updated_at],
    );
  }

  *deleteWebhook(sid: string): Step<void> {
    yield* this.exec('deleteWebhook', 'DELETE FROM webhooks WHERE sid = $1', [sid]);
  }

  *enqueueDeliveries(rows: ReadonlyArray<Omit<WebhookDeliveryRow, 'id'>>): Step<void> {
    for (const row of rows) {
      yield* this.exec(
        'enqueueDelivery',
        'INSERT INTO webhook_outbox (url, method, params, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [row.url, row.method, row.params, row.attempts, row.next_attempt_at, row.created_at],
      );
    }
  }

  claimDeliveries(now: number, leaseUntil: number, limit: number): Step<WebhookDeliveryRow[]> {
    return this.rows(
      'claimDeliveries',
      `UPDATE webhook_outbox o SET next_attempt_at = $2 FROM (
          SELECT id, next_attempt_at FROM webhook_outbox WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
        ) due WHERE o.id = due.id
        RETURNING o.id, o.url, o.method, o.params, o.attempts, due.next_attempt_at, o.created_at`,
      [now, leaseUntil, limit],
    );
  }

  *deleteDelivery(id: number): Step<void> {
    yield* this.exec('deleteDelivery', 'DELETE FROM webhook_outbox WHERE id = $1', [id]);
  }

  *retryDelivery(id: number, attempts: number, nextAttemptAt: number): Step<void> {
    yield* this.exec('retryDelivery', 'UPDATE webhook_outbox SET attempts = $2, next_attempt_at = $3 WHERE id = $1', [id, attempts, nextAttemptAt]);
  }

  getMessageBySid(conversationSid: string, sid: string): Step<MessageRow | undefined> {
    return this.first('getMessageBySid', 'SELECT * FROM messages WHERE sid = $1 AND conversation_sid = $2', [sid, conversationSid]);
  }

  getMessage(conversationSid: string, index: number): Step<MessageRow | undefined> {
    return this.first('getMessage', 'SELECT * FROM messages WHERE conversation_sid = $1 AND idx = $2', [conversationSid, index]);
  }

  *insertMessage(row: MessageRow): Step<void> {
    yield* this.exec(
      'insertMessage',
      `INSERT INTO messages (conversation_sid, idx, sid, author, body, attributes, created_at, updated_at, version, removed,
        idempotency_key, media, reply_to, reactions, participant_sid, last_updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [row.conversation_sid, row.idx, row.sid, row.author, row.body, row.attributes, row.created_at, row.updated_at, row.version,
        row.removed, row.idempotency_key, row.media, row.reply_to, row.reactions, row.participant_sid, row.last_updated_by],
    );
  }

  *updateMessage(row: MessageRow): Step<void> {
    yield* this.exec(
      'updateMessage',
      `UPDATE messages SET body = $3, attributes = $4, updated_at = $5, version = $6, removed = $7, media = $8, reactions = $9,
        last_updated_by = $10 WHERE conversation_sid = $1 AND idx = $2`,
      [row.conversation_sid, row.idx, row.body, row.attributes, row.updated_at, row.version, row.removed, row.media, row.reactions,
        row.last_updated_by],
    );
  }

  messagesBefore(conversationSid: string, before: number, limit: number): Step<MessageRow[]> {
    return this.rows(
      'messagesBefore',
      'SELECT * FROM messages WHERE conversation_sid = $1 AND idx < $2 AND removed = 0 ORDER BY idx DESC LIMIT $3',
      [conversationSid, before, limit],
    );
  }

  messagesAfter(conversationSid: string, after: number, limit: number): Step<MessageRow[]> {
    return this.rows(
      'messagesAfter',
      'SELECT * FROM messages WHERE conversation_sid = $1 AND idx > $2 AND removed = 0 ORDER BY idx ASC LIMIT $3',
      [conversationSid, after, limit],
    );
  }

  *unreadCount(conversationSid: string, lastRead: number | null, identity: string): Step<number> {
    const row = yield* this.first<{ n: number }>(
      'unreadCount',
      'SELECT COUNT(*) AS n FROM messages WHERE conversation_sid = $1 AND idx > $2 AND removed = 0 AND author != $3',
      [conversationSid, lastRead ?? -1, identity],
    );
    return row!.n;
  }

  *insertMedia(row: MediaRow): Step<void> {
    yield* this.exec(
      'insertMedia',
      `INSERT INTO media (sid, conversation_sid, author, content_type, filename, size, preview, created_at, message_sid, delete_after)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [row.sid, row.conversation_sid, row.author, row.content_type, row.filename, row.size, row.preview, row.created_at, row.message_sid,
        row.delete_after],
    );
  }

  getMedia(sid: string): Step<MediaRow | undefined> {
    return this.first('getMedia', 'SELECT * FROM media WHERE sid = $1', [sid]);
  }

  *attachMedia(sid: string, messageSid: string): Step<void> {
    yield* this.exec('attachMedia', 'UPDATE media SET message_sid = $2, delete_after = NULL WHERE sid = $1', [sid, messageSid]);
  }

  *releaseMedia(messageSid: string, at: number): Step<void> {
    yield* this.exec('releaseMedia', 'UPDATE media SET delete_after = $2 WHERE message_sid = $1', [messageSid, at]);
  }

  *mediaBytesOf(identity: string): Step<number> {
    const row = yield* this.first<{ n: number }>('mediaBytesOf', 'SELECT COALESCE(SUM(size), 0)::bigint AS n FROM media WHERE author = $1', [identity]);
    return row!.n;
  }

  *addReaction(conversationSid: string, index: number, emoji: string, identity: string, now: number): Step<boolean> {
    const added = yield* this.rows(
      'addReaction',
      `INSERT INTO reactions (conversation_sid, idx, emoji, identity, created_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING RETURNING id`,
      [conversationSid, index, emoji, identity, now],
    );
    return added.length === 1;
  }

  *removeReaction(conversationSid: string, index: number, emoji: string, identity: string): Step<boolean> {
    const removed = yield* this.rows(
      'removeReaction',
      'DELETE FROM reactions WHERE conversation_sid = $1 AND idx = $2 AND emoji = $3 AND identity = $4 RETURNING id',
      [conversationSid, index, emoji, identity],
    );
    return removed.length === 1;
  }

  *firstReactors(conversationSid: string, index: number, emoji: string, limit: number): Step<string[]> {
    const rows = yield* this.rows<{ identity: string }>(
      'firstReactors',
      'SELECT identity FROM reactions WHERE conversation_sid = $1 AND idx = $2 AND emoji = $3 ORDER BY id LIMIT $4',
      [conversationSid, index, emoji, limit],
    );
    return rows.map((r) => r.identity);
  }

  reactionsBy(conversationSid: string, identity: string, fromIndex: number, toIndex: number): Step<Array<{ idx: number; emoji: string }>> {
    return this.rows(
      'reactionsBy',
      'SELECT idx, emoji FROM reactions WHERE conversation_sid = $1 AND identity = $2 AND idx BETWEEN $3 AND $4 ORDER BY idx, id',
      [conversationSid, identity, fromIndex, toIndex],
    );
  }

  *deleteReactions(conversationSid: string, index: number): Step<void> {
    yield* this.exec('deleteReactions', 'DELETE FROM reactions WHERE conversation_sid = $1 AND idx = $2', [conversationSid, index]);
  }

  repliesAfter(conversationSid: string, parent: number, after: number, limit: number): Step<MessageRow[]> {
    return this.rows(
      'repliesAfter',
      'SELECT * FROM messages WHERE conversation_sid = $1 AND reply_to = $2 AND idx > $3 AND removed = 0 ORDER BY idx ASC LIMIT $4',
      [conversationSid, parent, after, limit],
    );
  }

  repliesBefore(conversationSid: string, parent: number, before: number, limit: number): Step<MessageRow[]> {
    return this.rows(
      'repliesBefore',
      'SELECT * FROM messages WHERE conversation_sid = $1 AND reply_to = $2 AND idx < $3 AND removed = 0 ORDER BY idx DESC LIMIT $4',
      [conversationSid, parent, before, limit],
    );
  }

  dueConversationStates(now: number, limit: number): Step<ConversationRow[]> {
    return this.rows(
      'dueConversationStates',
      'SELECT * FROM conversations WHERE inactive_at <= $1 UNION SELECT * FROM conversations WHERE closed_at <= $1 LIMIT $2',
      [now, limit],
    );
  }

  takeExpiredMedia(now: number, limit: number): Step<MediaRow[]> {
    return this.rows(
      'takeExpiredMedia',
      `DELETE FROM media WHERE sid IN (SELECT sid FROM media WHERE delete_after IS NOT NULL AND delete_after <= $1
        ORDER BY delete_after LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *`,
      [now, limit],
    );
  }

  getUser(identity: string): Step<UserRow | undefined> {
    return this.first('getUser', 'SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users WHERE identity = $1', [identity]);
  }

  *ensureUser(identity: string, now: number, sid: string): Step<UserRow> {
    // One round trip: the insert's RETURNING gives a new row, the SELECT (same snapshot) an old one.
    const row = yield* this.first<UserRow>(
      'ensureUser',
      `WITH added AS (INSERT INTO users (identity, created_at, sid) VALUES ($1, $2, $3) ON CONFLICT (identity) DO NOTHING
          RETURNING identity, sid, friendly_name, attributes, version, created_at, role_sid)
        SELECT * FROM added UNION ALL SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users WHERE identity = $1`,
      [identity, now, sid],
    );
    return row!;
  }

  getUserBySid(sid: string): Step<UserRow | undefined> {
    return this.first('getUserBySid', 'SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users WHERE sid = $1', [sid]);
  }

  usersPage(afterIdentity: string | null, limit: number): Step<UserRow[]> {
    const columns = 'identity, sid, friendly_name, attributes, version, created_at, role_sid';
    return afterIdentity === null
      ? this.rows('usersFirst', `SELECT ${columns} FROM users ORDER BY identity LIMIT $1`, [limit])
      : this.rows('usersAfter', `SELECT ${columns} FROM users WHERE identity > $1 ORDER BY identity LIMIT $2`, [afterIdentity, limit]);
  }

  *updateUser(row: UserRow): Step<void> {
    yield* this.exec('updateUser', 'UPDATE users SET friendly_name = $2, attributes = $3, version = $4, role_sid = $5 WHERE identity = $1', [
      row.identity,
      row.friendly_name,
      row.attributes,
      row.version,
      row.role_sid,
    ]);
  }

  *bumpUserVersion(identity: string): Step<void> {
    yield* this.exec('bumpUserVersion', 'UPDATE users SET version = version + 1 WHERE identity = $1', [identity]);
  }

  *upsertRegistration(identity: string, type: PushType, token: string, now: number): Step<void> {
    yield* this.exec(
      'upsertRegistration',
      `INSERT INTO push_registrations (identity, type, token, registered_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (identity, type, token) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      [identity, type, token, now],
    );
  }

  *deleteRegistration(identity: string, type: PushType, token: string): Step<boolean> {
    return (yield* this.exec('deleteRegistration', 'DELETE FROM push_registrations WHERE identity = $1 AND type = $2 AND token = $3', [identity, type, token])) > 0;
  }

  *countRegistrations(identity: string): Step<number> {
    const row = yield* this.first<{ n: number }>('countRegistrations', 'SELECT COUNT(*) AS n FROM push_registrations WHERE identity = $1', [identity]);
    return row!.n;
  }

  pushTargets(conversationSid: string, author: string): Step<RegistrationRow[]> {
    return this.rows(
      'pushTargets',
      `SELECT r.identity, r.type, r.token FROM participants p JOIN push_registrations r ON r.identity = p.identity
        WHERE p.conversation_sid = $1 AND p.identity != $2 AND p.notification_level != 'muted' ORDER BY p.id, r.type, r.token`,
      [conversationSid, author],
    );
  }

  getIdempotency(identity: string, key: string): Step<IdempotencyRow | undefined> {
    return this.first('getIdempotency', 'SELECT op, args_hash, result FROM idempotency WHERE identity = $1 AND key = $2', [identity, key]);
  }

  *insertIdempotency(identity: string, key: string, op: string, argsHash: string, result: string, now: number): Step<void> {
    yield* this.exec(
      'insertIdempotency',
      'INSERT INTO idempotency (identity, key, op, args_hash, result, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [identity, key, op, argsHash, result, now],
    );
  }

  *appendEvent(event: Parameters<StoreTx['appendEvent']>[0]): Step<LoggedEvent> {
    const conversationSid = 'conversation' in event.stream ? event.stream.conversation : null;
    const identity = 'user' in event.stream ? event.stream.user : null;
    const stream = conversationSid === null ? `u:${identity!}` : `c:${conversationSid}`;
    const { maxEvents } = this.retention;
    // One round trip under the write lock: take the next position from log_head (a counter row, so a
    // rollback gives it back), read the stream's head as prev, insert, move the head, and pay count
    // retention one position at a time. The CTEs share one snapshot: `prev` is the head before this event.
    const row = yield* this.first<{ seq: number; prev: number }>(
      'appendEvent',
      `WITH next AS (UPDATE log_head SET seq = seq + 1 RETURNING seq),
        prior AS (SELECT COALESCE((SELECT head FROM streams WHERE stream = $1), 0) AS prev),
        added AS (INSERT INTO log (seq, conversation_sid, identity, prev, kind, payload, at)
          SELECT next.seq, $2, $3, prior.prev, $4, $5, $6 FROM next, prior RETURNING seq, prev),
        moved AS (INSERT INTO streams (stream, head) SELECT $1, seq FROM added
          ON CONFLICT (stream) DO UPDATE SET head = excluded.head),
        trimmed AS (DELETE FROM log WHERE seq <= (SELECT seq FROM added) - $7::bigint)
      SELECT seq, prev FROM added`,
      [stream, conversationSid, identity, event.kind, event.payload, event.at, Number.isFinite(maxEvents) ? maxEvents : null],
    );
    return { seq: row!.seq, prev: row!.prev, conversationSid, identity, kind: event.kind, payload: event.payload, at: event.at };
  }

  *openMembership(identity: string, conversationSid: string, fromSeq: number): Step<void> {
    yield* this.exec('openMembership', 'INSERT INTO memberships (identity, conversation_sid, from_seq) VALUES ($1, $2, $3)', [identity, conversationSid, fromSeq]);
  }

  *closeMembership(identity: string, conversationSid: string, toSeq: number): Step<void> {
    yield* this.exec(
      'closeMembership',
      'UPDATE memberships SET to_seq = $3 WHERE identity = $1 AND conversation_sid = $2 AND to_seq IS NULL',
      [identity, conversationSid, toSeq],
    );
  }

  *headSeq(): Step<number> {
    return (yield* this.first<{ seq: number }>('headSeq', 'SELECT seq FROM log_head', []))!.seq;
  }

  *eventsFor(identity: string, afterSeq: number): Step<LoggedEvent[] | null> {
    if (!(yield* this.retained(afterSeq))) return null;
    const rows = yield* this.rows<LogRow>(
      'eventsFor',
      `SELECT seq, prev, conversation_sid, identity, kind, payload, at FROM log WHERE identity = $1 AND seq > $2
      UNION ALL
      SELECT l.seq, l.prev, l.conversation_sid, l.identity, l.kind, l.payload, l.at FROM memberships m
        JOIN log l ON l.conversation_sid = m.conversation_sid AND l.seq > GREATEST(m.from_seq, $2)
          AND (m.to_seq IS NULL OR l.seq <= m.to_seq)
        WHERE m.identity = $1 AND (m.to_seq IS NULL OR m.to_seq > $2)
      ORDER BY seq`,
      [identity, afterSeq],
    );
    return rows.map(toEvent);
  }

  *eventsAfter(afterSeq: number, limit: number): Step<LoggedEvent[] | null> {
    if (!(yield* this.retained(afterSeq))) return null;
    const rows = yield* this.rows<LogRow>(
      'eventsAfter',
      'SELECT seq, prev, conversation_sid, identity, kind, payload, at FROM log WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, limit],
    );
    return rows.map(toEvent);
  }

  /**
   * False when retention dropped positions after `afterSeq`. Reads share the transaction's snapshot, and
   * writes hold the write lock, so this check and the read that follows it see the same log.
   */
  private *retained(afterSeq: number): Step<boolean> {
    const row = yield* this.first<{ oldest: number }>(
      'oldestSeq',
      'SELECT COALESCE((SELECT MIN(seq) FROM log), (SELECT seq FROM log_head) + 1) AS oldest',
      [],
    );
    return afterSeq >= row!.oldest - 1;
  }
}
