import type { ClientBase } from 'pg';

/**
 * The session advisory lock held while migrating: nodes that start at once take turns, so the first
 * applies the migrations and the others find the schema current (SCALE-1). A fixed key ('rxc' + 1)
 * that nothing else in a shared database is expected to use.
 */
const MIGRATION_LOCK_KEY = 0x72786301;

/**
 * PostgreSQL schema migrations, in order. Migration `i` takes the schema from version i to i + 1; a
 * released migration is never edited, only followed by a new one. The tables mirror SQLite's
 * (`migrations.ts`) column for column, so both stores return rows of the same shape; every integer is
 * BIGINT (times are epoch milliseconds) and the store parses them back to JS numbers.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    identity TEXT PRIMARY KEY,
    friendly_name TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
  );

  CREATE TABLE conversations (
    sid TEXT PRIMARY KEY,
    unique_name TEXT UNIQUE,
    friendly_name TEXT,
    attributes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    last_message_index BIGINT,
    last_message_at BIGINT,
    messages_count BIGINT NOT NULL DEFAULT 0,
    participants_count BIGINT NOT NULL DEFAULT 0
  );

  -- id is the stable keyset for conversations.list: never reused, never reordered.
  CREATE TABLE participants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    conversation_sid TEXT NOT NULL,
    identity TEXT NOT NULL,
    role TEXT NOT NULL,
    attributes TEXT NOT NULL,
    notification_level TEXT NOT NULL DEFAULT 'default',
    last_read_message_index BIGINT,
    last_read_at BIGINT,
    joined_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (conversation_sid, identity)
  );
  CREATE INDEX participants_by_identity ON participants (identity, id);

  CREATE TABLE messages (
    conversation_sid TEXT NOT NULL,
    idx BIGINT NOT NULL,
    sid TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT,
    attributes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    PRIMARY KEY (conversation_sid, idx)
  );

  CREATE TABLE push_registrations (
    identity TEXT NOT NULL,
    type TEXT NOT NULL,
    token TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (identity, type, token)
  );
  CREATE INDEX push_registrations_by_last_seen ON push_registrations (last_seen_at);

  CREATE TABLE idempotency (
    identity TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (identity, key)
  );
  CREATE INDEX idempotency_by_created_at ON idempotency (created_at);

  -- The one event log, in commit order (CORE-2): each event on a conversation's stream or one user's.
  -- seq is not a sequence: it comes from log_head inside the serialised write transaction, so a
  -- rolled-back position is given back and positions are gapless and visible in order.
  CREATE TABLE log (
    seq BIGINT PRIMARY KEY,
    conversation_sid TEXT,
    identity TEXT,
    prev BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE INDEX log_by_conversation ON log (conversation_sid, seq) WHERE conversation_sid IS NOT NULL;
  CREATE INDEX log_by_user ON log (identity, seq) WHERE identity IS NOT NULL;

  -- The highest position ever given (SQLite's sqlite_sequence row for log): one row.
  CREATE TABLE log_head (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    seq BIGINT NOT NULL
  );
  INSERT INTO log_head (seq) VALUES (0);

  -- The newest event of each stream ('c:' + sid or 'u:' + identity), the next event's prev.
  CREATE TABLE streams (
    stream TEXT PRIMARY KEY,
    head BIGINT NOT NULL
  );

  -- A user sees a conversation's events with from_seq < seq <= to_seq (to_seq null: still a member).
  CREATE TABLE memberships (
    identity TEXT NOT NULL,
    conversation_sid TEXT NOT NULL,
    from_seq BIGINT NOT NULL,
    to_seq BIGINT,
    PRIMARY KEY (identity, conversation_sid, from_seq)
  );
  CREATE INDEX memberships_by_end ON memberships (to_seq) WHERE to_seq IS NOT NULL;
  `,
  // The admin API (ADMIN-1) pages every conversation in creation order, finds a message by its sid, and
  // addresses users by a sid of their own (`US…`). Webhook targets and the outbox of post-event webhooks
  // (ADMIN-3).
  `
  CREATE INDEX conversations_by_created ON conversations (created_at, sid);
  CREATE INDEX messages_by_sid ON messages (sid);
  ALTER TABLE users ADD COLUMN sid TEXT;
  UPDATE users SET sid = 'US' || md5(identity || random()::text);
  ALTER TABLE users ALTER COLUMN sid SET NOT NULL;
  CREATE UNIQUE INDEX users_by_sid ON users (sid);
  CREATE TABLE webhooks (
    sid TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    conversation_sid TEXT,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    filters TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX webhooks_by_conversation ON webhooks (conversation_sid) WHERE conversation_sid IS NOT NULL;
  CREATE TABLE webhook_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    params TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id);
  `,
  // Media (MEDIA-1..4): a message carries its attachments' descriptions (JSON, null when none); each
  // upload has a row that says whose it is and when the sweeper may delete its bytes.
  `
  ALTER TABLE messages ADD COLUMN media TEXT;
  CREATE TABLE media (
    sid TEXT PRIMARY KEY,
    conversation_sid TEXT NOT NULL,
    author TEXT NOT NULL,
    content_type TEXT NOT NULL,
    filename TEXT,
    size BIGINT NOT NULL,
    preview TEXT,
    created_at BIGINT NOT NULL,
    message_sid TEXT,
    delete_after BIGINT
  );
  CREATE INDEX media_by_author ON media (author);
  CREATE INDEX media_by_message ON media (message_sid) WHERE message_sid IS NOT NULL;
  CREATE INDEX media_by_conversation ON media (conversation_sid);
  CREATE INDEX media_due ON media (delete_after) WHERE delete_after IS NOT NULL;
  `,
  // Roles and permissions (ADMIN-4): a participant's `role` becomes the sid of a conversation role
  // (`admin` and `member` were the channel admin and channel user roles), a user may hold a service role
  // of their own, custom roles and changed default roles are stored, and the service's settings name
  // the default roles.
  `
  UPDATE participants SET role = CASE role WHEN 'admin' THEN 'RL00000000000000000000000000000002' ELSE 'RL00000000000000000000000000000001' END
    WHERE role IN ('admin', 'member');
  CREATE INDEX participants_by_role ON participants (role);
  ALTER TABLE users ADD COLUMN role_sid TEXT;
  CREATE TABLE roles (
    sid TEXT PRIMARY KEY,
    friendly_name TEXT NOT NULL,
    type TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // Conversation state (PARITY-1): active, inactive or closed, since when, and the two timers (durations,
  // and when each runs out: the server's sweep finds due ones by these two indexes).
  `
  ALTER TABLE conversations ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
  ALTER TABLE conversations ADD COLUMN state_updated_at BIGINT NOT NULL DEFAULT 0;
  UPDATE conversations SET state_updated_at = created_at;
  ALTER TABLE conversations ADD COLUMN timer_inactive_ms BIGINT;
  ALTER TABLE conversations ADD COLUMN timer_closed_ms BIGINT;
  ALTER TABLE conversations ADD COLUMN inactive_at BIGINT;
  ALTER TABLE conversations ADD COLUMN closed_at BIGINT;
  CREATE INDEX conversations_inactive_due ON conversations (inactive_at) WHERE inactive_at IS NOT NULL;
  CREATE INDEX conversations_closed_due ON conversations (closed_at) WHERE closed_at IS NOT NULL;
  `,
  // Replies and reactions (PARITY-3): a message may reply to another (its thread is found by the
  // parent's index); each reaction is a row, and a message keeps its summaries so reads need no join.
  `
  ALTER TABLE messages ADD COLUMN reply_to INTEGER;
  ALTER TABLE messages ADD COLUMN reactions TEXT;
  CREATE INDEX messages_replies ON messages (conversation_sid, reply_to, idx) WHERE reply_to IS NOT NULL;
  CREATE TABLE reactions (
    id BIGSERIAL PRIMARY KEY,
    conversation_sid TEXT NOT NULL,
    idx INTEGER NOT NULL,
    emoji TEXT NOT NULL,
    identity TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (conversation_sid, idx, emoji, identity)
  );
  CREATE INDEX reactions_in_order ON reactions (conversation_sid, idx, emoji, id);
  CREATE INDEX reactions_by_identity ON reactions (conversation_sid, identity, idx);
  `,
  // Non-chat participants (PARITY-2): SMS, WhatsApp or email addresses reached through the app's bridge;
  // their identity is the address, and the bridge finds them by the partial index.
  `
  ALTER TABLE participants ADD COLUMN type TEXT NOT NULL DEFAULT 'chat';
  ALTER TABLE participants ADD COLUMN binding TEXT;
  CREATE INDEX participants_bridged ON participants (conversation_sid, id) WHERE type != 'chat';
  `,
  // Messages keep their author's participant sid (the admin API and Twilio's SDKs show it) and who
  // last edited them (PARITY-3). Messages written before learn their author's sid if still a participant.
  `
  ALTER TABLE messages ADD COLUMN participant_sid TEXT;
  ALTER TABLE messages ADD COLUMN last_updated_by TEXT;
  UPDATE messages SET participant_sid = p.sid FROM participants p
    WHERE p.conversation_sid = messages.conversation_sid AND p.identity = messages.author;
  `,
];

/**
 * Brings the schema up to date, each migration in its own transaction, under a session advisory lock
 * so that several nodes starting at once are safe. Throws, changing nothing, when the schema is newer
 * than this server knows: an older server must not write a schema it does not understand.
 */
export async function migratePostgres(client: ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const found = await client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations');
    const current = found.rows[0]!.version;
    if (current > PG_MIGRATIONS.length) {
      throw new Error(`the database schema is version ${current}, newer than this server's ${PG_MIGRATIONS.length}; upgrade the server`);
    }
    for (let version = current; version < PG_MIGRATIONS.length; version++) {
      await client.query('BEGIN');
      try {
        await client.query(PG_MIGRATIONS[version]!);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
