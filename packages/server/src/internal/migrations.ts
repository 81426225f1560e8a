import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, in order. Migration `i` takes the database from `user_version` i to i + 1; a
 * released migration is never edited, only followed by a new one.
 */
export const MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE users (
        identity TEXT PRIMARY KEY,
        friendly_name TEXT,
        attributes TEXT NOT NULL DEFAULT '{}',
        version INTEGER NOT NULL DEFAULT 1,
        head_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE conversations (
        sid TEXT PRIMARY KEY,
        unique_name TEXT UNIQUE,
        friendly_name TEXT,
        attributes TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        last_message_index INTEGER,
        last_message_at INTEGER,
        messages_count INTEGER NOT NULL DEFAULT 0,
        participants_count INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      -- id is the stable keyset for conversations.list: never reused, never reordered.
      CREATE TABLE participants (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sid TEXT NOT NULL UNIQUE,
        conversation_sid TEXT NOT NULL,
        identity TEXT NOT NULL,
        role TEXT NOT NULL,
        attributes TEXT NOT NULL,
        notification_level TEXT NOT NULL DEFAULT 'default',
        last_read_message_index INTEGER,
        last_read_at INTEGER,
        joined_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        UNIQUE (conversation_sid, identity)
      );
      CREATE INDEX participants_by_identity ON participants (identity, id);

      CREATE TABLE messages (
        conversation_sid TEXT NOT NULL,
        idx INTEGER NOT NULL,
        sid TEXT NOT NULL,
        author TEXT NOT NULL,
        body TEXT,
        attributes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        removed INTEGER NOT NULL DEFAULT 0,
        idempotency_key TEXT,
        PRIMARY KEY (conversation_sid, idx)
      ) WITHOUT ROWID;

      CREATE TABLE push_registrations (
        identity TEXT NOT NULL,
        type TEXT NOT NULL,
        token TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        PRIMARY KEY (identity, type, token)
      ) WITHOUT ROWID;
      CREATE INDEX push_registrations_by_last_seen ON push_registrations (last_seen_at);

      -- A payload shared by many recipients (messageAdded) is stored once in events; each recipient's
      -- log (user_events) points at it with its own sequence number.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE TABLE user_events (
        identity TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_id INTEGER NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (identity, seq)
      ) WITHOUT ROWID;
      CREATE INDEX user_events_by_at ON user_events (at);
      CREATE INDEX user_events_by_event ON user_events (event_id);

      CREATE TABLE idempotency (
        identity TEXT NOT NULL,
        key TEXT NOT NULL,
        op TEXT NOT NULL,
        args_hash TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (identity, key)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_by_created_at ON idempotency (created_at);
    `);
  },
  // The event log is stored once per event, not once per recipient (CORE-2): one log in commit order,
  // each event on a conversation's stream or one user's, and each user's view derived from their
  // membership intervals. The per-user logs of version 1 cannot be renumbered into it: clients of that
  // protocol version are refused anyway, and every existing member sees the new log from its start.
  (db) => {
    db.exec(`
      DROP TABLE user_events;
      DROP TABLE events;
      CREATE TABLE log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_sid TEXT,
        identity TEXT,
        prev INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX log_by_conversation ON log (conversation_sid, seq) WHERE conversation_sid IS NOT NULL;
      CREATE INDEX log_by_user ON log (identity, seq) WHERE identity IS NOT NULL;
      -- The newest event of each stream ('c:' + sid or 'u:' + identity), the next event's prev.
      CREATE TABLE streams (
        stream TEXT PRIMARY KEY,
        head INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- A user sees a conversation's events with from_seq < seq <= to_seq (to_seq null: still a member).
      CREATE TABLE memberships (
        identity TEXT NOT NULL,
        conversation_sid TEXT NOT NULL,
        from_seq INTEGER NOT NULL,
        to_seq INTEGER,
        PRIMARY KEY (identity, conversation_sid, from_seq)
      ) WITHOUT ROWID;
      CREATE INDEX memberships_by_end ON memberships (to_seq) WHERE to_seq IS NOT NULL;
      INSERT INTO memberships (identity, conversation_sid, from_seq) SELECT identity, conversation_sid, 0 FROM participants;
      INSERT INTO sqlite_sequence (name, seq) SELECT 'log', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'log');
    `);
  },
  // The admin API (ADMIN-1) pages every conversation in creation order, finds a message by its sid, and
  // addresses users by a sid of their own (`US…`, random like every other sid). Webhook targets and the
  // outbox of post-event webhooks (ADMIN-3).
  (db) => {
    db.exec(`
      CREATE INDEX conversations_by_created ON conversations (created_at, sid);
      CREATE INDEX messages_by_sid ON messages (sid);
      ALTER TABLE users ADD COLUMN sid TEXT;
      UPDATE users SET sid = 'US' || lower(hex(randomblob(16)));
      CREATE UNIQUE INDEX users_by_sid ON users (sid);
      CREATE TABLE webhooks (
        sid TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        conversation_sid TEXT,
        kind TEXT NOT NULL,
        url TEXT NOT NULL,
        method TEXT NOT NULL,
        filters TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX webhooks_by_conversation ON webhooks (conversation_sid) WHERE conversation_sid IS NOT NULL;
      -- Post-event webhooks not yet delivered (ADMIN-3), written in the transaction of the change itself.
      CREATE TABLE webhook_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL,
        method TEXT NOT NULL,
        params TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id);
    `);
  },
  // Media (MEDIA-1..4): a message carries its attachments' descriptions (JSON, null when none); each
  // upload has a row that says whose it is and when the sweeper may delete its bytes.
  (db) => {
    db.exec(`
      ALTER TABLE messages ADD COLUMN media TEXT;
      CREATE TABLE media (
        sid TEXT PRIMARY KEY,
        conversation_sid TEXT NOT NULL,
        author TEXT NOT NULL,
        content_type TEXT NOT NULL,
        filename TEXT,
        size INTEGER NOT NULL,
        preview TEXT,
        created_at INTEGER NOT NULL,
        message_sid TEXT,
        delete_after INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX media_by_author ON media (author);
      CREATE INDEX media_by_message ON media (message_sid) WHERE message_sid IS NOT NULL;
      CREATE INDEX media_by_conversation ON media (conversation_sid);
      CREATE INDEX media_due ON media (delete_after) WHERE delete_after IS NOT NULL;
    `);
  },
  // Roles and permissions (ADMIN-4): a participant's `role` becomes the sid of a conversation role
  // (`admin` and `member` were the channel admin and channel user roles), a user may hold a service role
  // of their own, custom roles and changed default roles are stored, and the service's settings name
  // the default roles.
  (db) => {
    db.exec(`
      UPDATE participants SET role = CASE role WHEN 'admin' THEN 'RL00000000000000000000000000000002' ELSE 'RL00000000000000000000000000000001' END
        WHERE role IN ('admin', 'member');
      CREATE INDEX participants_by_role ON participants (role);
      ALTER TABLE users ADD COLUMN role_sid TEXT;
      CREATE TABLE roles (
        sid TEXT PRIMARY KEY,
        friendly_name TEXT NOT NULL,
        type TEXT NOT NULL,
        permissions TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
  },
  // Conversation state (PARITY-1): active, inactive or closed, since when, and the two timers (durations,
  // and when each runs out: the server's sweep finds due ones by these two indexes).
  (db) => {
    db.exec(`
      ALTER TABLE conversations ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
      ALTER TABLE conversations ADD COLUMN state_updated_at INTEGER NOT NULL DEFAULT 0;
      UPDATE conversations SET state_updated_at = created_at;
      ALTER TABLE conversations ADD COLUMN timer_inactive_ms INTEGER;
      ALTER TABLE conversations ADD COLUMN timer_closed_ms INTEGER;
      ALTER TABLE conversations ADD COLUMN inactive_at INTEGER;
      ALTER TABLE conversations ADD COLUMN closed_at INTEGER;
      CREATE INDEX conversations_inactive_due ON conversations (inactive_at) WHERE inactive_at IS NOT NULL;
      CREATE INDEX conversations_closed_due ON conversations (closed_at) WHERE closed_at IS NOT NULL;
    `);
  },
  // Replies and reactions (PARITY-3): a message may reply to another (its thread is found by the
  // parent's index); each reaction is a row, and a message keeps its summaries so reads need no join.
  (db) => {
    db.exec(`
      ALTER TABLE messages ADD COLUMN reply_to INTEGER;
      ALTER TABLE messages ADD COLUMN reactions TEXT;
      CREATE INDEX messages_replies ON messages (conversation_sid, reply_to, idx) WHERE reply_to IS NOT NULL;
      CREATE TABLE reactions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_sid TEXT NOT NULL,
        idx INTEGER NOT NULL,
        emoji TEXT NOT NULL,
        identity TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (conversation_sid, idx, emoji, identity)
      );
      CREATE INDEX reactions_in_order ON reactions (conversation_sid, idx, emoji, id);
      CREATE INDEX reactions_by_identity ON reactions (conversation_sid, identity, idx);
    `);
  },
  // Non-chat participants (PARITY-2): SMS, WhatsApp or email addresses reached through the app's bridge;
  // their identity is the address, and the bridge finds them by the partial index.
  (db) => {
    db.exec(`
      ALTER TABLE participants ADD COLUMN type TEXT NOT NULL DEFAULT 'chat';
      ALTER TABLE participants ADD COLUMN binding TEXT;
      CREATE INDEX participants_bridged ON participants (conversation_sid, id) WHERE type != 'chat';
    `);
  },
  // Messages keep their author's participant sid (the admin API and Twilio's SDKs show it) and who
  // last edited them (PARITY-3). Messages written before learn their author's sid if still a participant.
  (db) => {
    db.exec(`
      ALTER TABLE messages ADD COLUMN participant_sid TEXT;
      ALTER TABLE messages ADD COLUMN last_updated_by TEXT;
      UPDATE messages SET participant_sid = (SELECT p.sid FROM participants p
        WHERE p.conversation_sid = messages.conversation_sid AND p.identity = messages.author);
    `);
  },
];
