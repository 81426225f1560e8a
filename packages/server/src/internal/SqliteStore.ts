import type { Database, Statement } from 'better-sqlite3';
import type { PushType } from '@rx-conversations/protocol';
import {
  done,
  runSync,
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

/**
 * The SQLite store (CORE-1), the embedded default: every statement prepared once, every step answered
 * at once, so the core runs each op as one synchronous transaction. Count retention is paid at append,
 * one position at a time, so the log never outgrows `maxEvents`.
 */
export class SqliteStore implements Store {
  readonly synchronous = true;
  private readonly tx: StoreTx;
  private readonly runInTransaction: (fn: () => unknown) => unknown;

  constructor(
    readonly db: Database,
    private readonly retention: RetentionLimits,
  ) {
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
    this.tx = createTx(db, retention);
  }

  *write<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    return this.runInTransaction(() => runSync(body(this.tx))) as R;
  }

  *read<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    return this.runInTransaction(() => runSync(body(this.tx))) as R;
  }

  *prune(now: number, limits: { readonly events: RetentionLimits; readonly idempotencyTtlMs: number; readonly registrationIdleMs: number }): Step<void> {
    const { db } = this;
    this.runInTransaction(() => {
      // Positions follow commit order, and so (one clock) do times: walk from the oldest event and stop
      // at the first young one, so pruning costs what it drops, not the size of the log.
      let cutoff: number | undefined;
      for (const row of db.prepare<[], { seq: number; at: number }>('SELECT seq, at FROM log ORDER BY seq').iterate()) {
        if (row.at >= now - limits.events.maxAgeMs) break;
        cutoff = row.seq;
      }
      if (cutoff !== undefined) db.prepare('DELETE FROM log WHERE seq <= ?').run(cutoff);
      // Intervals that ended before the oldest retained event can show nothing any more.
      db.prepare('DELETE FROM memberships WHERE to_seq IS NOT NULL AND to_seq < (SELECT COALESCE(MIN(seq), 0) FROM log)').run();
      db.prepare('DELETE FROM idempotency WHERE created_at < ?').run(now - limits.idempotencyTtlMs);
      db.prepare('DELETE FROM push_registrations WHERE last_seen_at < ?').run(now - limits.registrationIdleMs);
    });
    return yield* done(undefined);
  }
}

function createTx(db: Database, retention: RetentionLimits): StoreTx {
  const p = <A extends unknown[], R = unknown>(sql: string) => db.prepare<A, R>(sql);
  const s = {
    getConversation: p<[string], ConversationRow>('SELECT * FROM conversations WHERE sid = ?'),
    getConversationByUniqueName: p<[string], ConversationRow>('SELECT * FROM conversations WHERE unique_name = ?'),
    insertConversation: p<[ConversationRow]>(`INSERT INTO conversations (sid, unique_name, friendly_name, attributes, created_by,
      created_at, updated_at, version, last_message_index, last_message_at, messages_count, participants_count, state,
      state_updated_at, timer_inactive_ms, timer_closed_ms, inactive_at, closed_at)
      VALUES (@sid, @unique_name, @friendly_name, @attributes, @created_by, @created_at, @updated_at, @version,
      @last_message_index, @last_message_at, @messages_count, @participants_count, @state, @state_updated_at,
      @timer_inactive_ms, @timer_closed_ms, @inactive_at, @closed_at)`),
    updateConversation: p<[ConversationRow]>(`UPDATE conversations SET unique_name = @unique_name, friendly_name = @friendly_name,
      attributes = @attributes, updated_at = @updated_at, version = @version,
      last_message_index = @last_message_index, last_message_at = @last_message_at,
      messages_count = @messages_count, participants_count = @participants_count, state = @state,
      state_updated_at = @state_updated_at, timer_inactive_ms = @timer_inactive_ms, timer_closed_ms = @timer_closed_ms,
      inactive_at = @inactive_at, closed_at = @closed_at WHERE sid = @sid`),
    dueConversationStates: p<[number, number, number], ConversationRow>(`SELECT * FROM conversations WHERE inactive_at <= ?
      UNION SELECT * FROM conversations WHERE closed_at <= ? LIMIT ?`),
    deleteConversation: p<[string]>('DELETE FROM conversations WHERE sid = ?'),
    deleteConversationParticipants: p<[string]>('DELETE FROM participants WHERE conversation_sid = ?'),
    deleteConversationMessages: p<[string]>('DELETE FROM messages WHERE conversation_sid = ?'),
    deleteConversationWebhooks: p<[string]>('DELETE FROM webhooks WHERE conversation_sid = ?'),
    webhookTargets: p<[string, string | null], WebhookRow>(`SELECT * FROM webhooks WHERE kind = ? AND (scope != 'conversation' OR conversation_sid = ?)
      ORDER BY created_at, sid`),
    listWebhooks: p<[string, string | null], WebhookRow>(`SELECT * FROM webhooks WHERE scope = ? AND (scope != 'conversation' OR conversation_sid = ?)
      ORDER BY created_at, sid`),
    getWebhook: p<[string], WebhookRow>('SELECT * FROM webhooks WHERE sid = ?'),
    listRoles: p<[], RoleRow>('SELECT sid, friendly_name, type, permissions, created_at, updated_at FROM roles'),
    putRole: p<[RoleRow]>(`INSERT OR REPLACE INTO roles (sid, friendly_name, type, permissions, created_at, updated_at)
      VALUES (@sid, @friendly_name, @type, @permissions, @created_at, @updated_at)`),
    deleteRole: p<[string]>('DELETE FROM roles WHERE sid = ?'),
    countRoleHolders: p<[string, string], { n: number }>(`SELECT (SELECT COUNT(*) FROM participants WHERE role = ?)
      + (SELECT COUNT(*) FROM users WHERE role_sid = ?) AS n`),
    listSettings: p<[], { key: string; value: string }>('SELECT key, value FROM settings'),
    putSetting: p<[string, string]>('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)'),
    putWebhook: p<[WebhookRow]>(`INSERT OR REPLACE INTO webhooks VALUES (@sid, @scope, @conversation_sid, @kind, @url, @method, @filters,
      @created_at, @updated_at)`),
    deleteWebhook: p<[string]>('DELETE FROM webhooks WHERE sid = ?'),
    enqueueDelivery: p<[Omit<WebhookDeliveryRow, 'id'>]>(`INSERT INTO webhook_outbox (url, method, params, attempts, next_attempt_at, created_at)
      VALUES (@url, @method, @params, @attempts, @next_attempt_at, @created_at)`),
    dueDeliveries: p<[number, number], WebhookDeliveryRow>('SELECT * FROM webhook_outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?'),
    leaseDelivery: p<[number, number]>('UPDATE webhook_outbox SET next_attempt_at = ? WHERE id = ?'),
    deleteDelivery: p<[number]>('DELETE FROM webhook_outbox WHERE id = ?'),
    retryDelivery: p<[number, number, number]>('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?'),
    getParticipant: p<[string, string], ParticipantRow>('SELECT * FROM participants WHERE conversation_sid = ? AND identity = ?'),
    listParticipants: p<[string], ParticipantRow>('SELECT * FROM participants WHERE conversation_sid = ? ORDER BY id'),
    insertParticipant: p<[Omit<ParticipantRow, 'id'>]>(`INSERT INTO participants (sid, conversation_sid, identity, role, attributes,
      notification_level, last_read_message_index, last_read_at, joined_at, updated_at, version, type, binding)
      VALUES (@sid, @conversation_sid, @identity, @role, @attributes, @notification_level,
      @last_read_message_index, @last_read_at, @joined_at, @updated_at, @version, @type, @binding)`),
    bridgedParticipants: p<[string], ParticipantRow>(`SELECT * FROM participants WHERE conversation_sid = ? AND type != 'chat' ORDER BY id`),
    updateParticipant: p<[ParticipantRow]>(`UPDATE participants SET role = @role, attributes = @attributes,
      notification_level = @notification_level, last_read_message_index = @last_read_message_index,
      last_read_at = @last_read_at, updated_at = @updated_at, version = @version WHERE id = @id`),
    deleteParticipant: p<[number]>('DELETE FROM participants WHERE id = ?'),
    membershipsPage: p<[string, number, number], ParticipantRow>('SELECT * FROM participants WHERE identity = ? AND id > ? ORDER BY id LIMIT ?'),
    conversationSidsOf: p<[string], { conversation_sid: string }>('SELECT conversation_sid FROM participants WHERE identity = ?'),
    participantsPage: p<[string, number, number], ParticipantRow>('SELECT * FROM participants WHERE conversation_sid = ? AND id > ? ORDER BY id LIMIT ?'),
    getParticipantBySid: p<[string], ParticipantRow>('SELECT * FROM participants WHERE sid = ?'),
    conversationsFirst: p<[number], ConversationRow>('SELECT * FROM conversations ORDER BY created_at, sid LIMIT ?'),
    conversationsAfter: p<[number, string, number], ConversationRow>(`SELECT * FROM conversations WHERE (created_at, sid) > (?, ?)
      ORDER BY created_at, sid LIMIT ?`),
    getMessageBySid: p<[string, string], MessageRow>('SELECT * FROM messages WHERE sid = ? AND conversation_sid = ?'),
    getMessage: p<[string, number], MessageRow>('SELECT * FROM messages WHERE conversation_sid = ? AND idx = ?'),
    insertMessage: p<[MessageRow]>(`INSERT INTO messages (conversation_sid, idx, sid, author, body, attributes, created_at,
      updated_at, version, removed, idempotency_key, media, reply_to, reactions, participant_sid, last_updated_by)
      VALUES (@conversation_sid, @idx, @sid, @author, @body, @attributes, @created_at, @updated_at, @version, @removed,
      @idempotency_key, @media, @reply_to, @reactions, @participant_sid, @last_updated_by)`),
    updateMessage: p<[MessageRow]>(`UPDATE messages SET body = @body, attributes = @attributes, updated_at = @updated_at,
      version = @version, removed = @removed, media = @media, reactions = @reactions, last_updated_by = @last_updated_by
      WHERE conversation_sid = @conversation_sid AND idx = @idx`),
    addReaction: p<[string, number, string, string, number]>(`INSERT OR IGNORE INTO reactions (conversation_sid, idx, emoji, identity, created_at)
      VALUES (?, ?, ?, ?, ?)`),
    removeReaction: p<[string, number, string, string]>('DELETE FROM reactions WHERE conversation_sid = ? AND idx = ? AND emoji = ? AND identity = ?'),
    firstReactors: p<[string, number, string, number], { identity: string }>(`SELECT identity FROM reactions
      WHERE conversation_sid = ? AND idx = ? AND emoji = ? ORDER BY id LIMIT ?`),
    reactionsBy: p<[string, string, number, number], { idx: number; emoji: string }>(`SELECT idx, emoji FROM reactions
      WHERE conversation_sid = ? AND identity = ? AND idx BETWEEN ? AND ? ORDER BY idx, id`),
    deleteReactions: p<[string, number]>('DELETE FROM reactions WHERE conversation_sid = ? AND idx = ?'),
    deleteConversationReactions: p<[string]>('DELETE FROM reactions WHERE conversation_sid = ?'),
    repliesAfter: p<[string, number, number, number], MessageRow>(`SELECT * FROM messages WHERE conversation_sid = ? AND reply_to = ?
      AND idx > ? AND removed = 0 ORDER BY idx ASC LIMIT ?`),
    repliesBefore: p<[string, number, number, number], MessageRow>(`SELECT * FROM messages WHERE conversation_sid = ? AND reply_to = ?
      AND idx < ? AND removed = 0 ORDER BY idx DESC LIMIT ?`),
    insertMedia: p<[MediaRow]>(`INSERT INTO media (sid, conversation_sid, author, content_type, filename, size, preview, created_at,
      message_sid, delete_after) VALUES (@sid, @conversation_sid, @author, @content_type, @filename, @size, @preview, @created_at,
      @message_sid, @delete_after)`),
    getMedia: p<[string], MediaRow>('SELECT * FROM media WHERE sid = ?'),
    attachMedia: p<[string, string]>('UPDATE media SET message_sid = ?, delete_after = NULL WHERE sid = ?'),
    releaseMedia: p<[number, string]>('UPDATE media SET delete_after = ? WHERE message_sid = ?'),
    releaseConversationMedia: p<[string]>('UPDATE media SET delete_after = 0 WHERE conversation_sid = ?'),
    mediaBytesOf: p<[string], { n: number }>('SELECT COALESCE(SUM(size), 0) AS n FROM media WHERE author = ?'),
    dueMedia: p<[number, number], MediaRow>('SELECT * FROM media WHERE delete_after IS NOT NULL AND delete_after <= ? ORDER BY delete_after LIMIT ?'),
    deleteMedia: p<[string]>('DELETE FROM media WHERE sid = ?'),
    messagesBefore: p<[string, number, number], MessageRow>(`SELECT * FROM messages WHERE conversation_sid = ? AND idx < ? AND removed = 0
      ORDER BY idx DESC LIMIT ?`),
    messagesAfter: p<[string, number, number], MessageRow>(`SELECT * FROM messages WHERE conversation_sid = ? AND idx > ? AND removed = 0
      ORDER BY idx ASC LIMIT ?`),
    unreadCount: p<[string, number, string], { n: number }>(`SELECT COUNT(*) AS n FROM messages WHERE conversation_sid = ? AND idx > ? AND removed = 0
      AND author != ?`),
    getUser: p<[string], UserRow>('SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users WHERE identity = ?'),
    getUserBySid: p<[string], UserRow>('SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users WHERE sid = ?'),
    usersFirst: p<[number], UserRow>('SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users ORDER BY identity LIMIT ?'),
    usersAfter: p<[string, number], UserRow>(`SELECT identity, sid, friendly_name, attributes, version, created_at, role_sid FROM users
      WHERE identity > ? ORDER BY identity LIMIT ?`),
    insertUser: p<[string, number, string]>('INSERT OR IGNORE INTO users (identity, created_at, sid) VALUES (?, ?, ?)'),
    updateUser: p<[UserRow]>(`UPDATE users SET friendly_name = @friendly_name, attributes = @attributes, version = @version, role_sid = @role_sid
      WHERE identity = @identity`),
    bumpUserVersion: p<[string]>('UPDATE users SET version = version + 1 WHERE identity = ?'),
    upsertRegistration: p<[{ identity: string; type: string; token: string; now: number }]>(`INSERT INTO push_registrations VALUES (@identity, @type, @token, @now, @now)
      ON CONFLICT (identity, type, token) DO UPDATE SET last_seen_at = excluded.last_seen_at`),
    deleteRegistration: p<[string, string, string]>('DELETE FROM push_registrations WHERE identity = ? AND type = ? AND token = ?'),
    countRegistrations: p<[string], { n: number }>('SELECT COUNT(*) AS n FROM push_registrations WHERE identity = ?'),
    pushTargets: p<[string, string], RegistrationRow>(`SELECT r.identity, r.type, r.token FROM participants p
      JOIN push_registrations r ON r.identity = p.identity
      WHERE p.conversation_sid = ? AND p.identity != ? AND p.notification_level != 'muted'`),
    getIdempotency: p<[string, string], IdempotencyRow>('SELECT op, args_hash, result FROM idempotency WHERE identity = ? AND key = ?'),
    insertIdempotency: p<[string, string, string, string, string, number]>('INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)'),
    streamHead: p<[string], { head: number }>('SELECT head FROM streams WHERE stream = ?'),
    setStreamHead: p<[string, number]>('INSERT INTO streams VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET head = excluded.head'),
    appendEvent: p<[string | null, string | null, number, string, string, number]>(
      'INSERT INTO log (conversation_sid, identity, prev, kind, payload, at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    trimLog: p<[number]>('DELETE FROM log WHERE seq <= ?'),
    openMembership: p<[string, string, number]>('INSERT INTO memberships (identity, conversation_sid, from_seq) VALUES (?, ?, ?)'),
    closeMembership: p<[number, string, string]>('UPDATE memberships SET to_seq = ? WHERE identity = ? AND conversation_sid = ? AND to_seq IS NULL'),
    head: p<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'log'"),
    oldest: p<[], { seq: number | null }>('SELECT MIN(seq) AS seq FROM log'),
    eventsFor: p<[string, number, number, string, number], LogRow>(`
      SELECT seq, prev, conversation_sid, identity, kind, payload, at FROM log WHERE identity = ? AND seq > ?
      UNION ALL
      SELECT l.seq, l.prev, l.conversation_sid, l.identity, l.kind, l.payload, l.at FROM memberships m
        JOIN log l ON l.conversation_sid = m.conversation_sid AND l.seq > MAX(m.from_seq, ?)
          AND (m.to_seq IS NULL OR l.seq <= m.to_seq)
        WHERE m.identity = ? AND (m.to_seq IS NULL OR m.to_seq > ?)
      ORDER BY seq`),
    eventsAfter: p<[number, number], LogRow>('SELECT seq, prev, conversation_sid, identity, kind, payload, at FROM log WHERE seq > ? ORDER BY seq LIMIT ?'),
  };
  const head = (): number => s.head.get()?.seq ?? 0;
  return {
    getConversation: (sid) => done(s.getConversation.get(sid)),
    getConversationByUniqueName: (name) => done(s.getConversationByUniqueName.get(name)),
    insertConversation: (row) => done(void s.insertConversation.run(row)),
    updateConversation: (row) => done(void s.updateConversation.run(row)),
    deleteConversation: (sid) => {
      s.deleteConversationWebhooks.run(sid);
      s.deleteConversationReactions.run(sid);
      s.deleteConversationMessages.run(sid);
      s.releaseConversationMedia.run(sid);
      s.deleteConversationParticipants.run(sid);
      s.deleteConversation.run(sid);
      return done(undefined);
    },
    getParticipant: (sid, identity) => done(s.getParticipant.get(sid, identity)),
    listParticipants: (sid) => done(s.listParticipants.all(sid)),
    insertParticipant: (row) => done({ ...row, id: Number(s.insertParticipant.run(row).lastInsertRowid) }),
    updateParticipant: (row) => done(void s.updateParticipant.run(row)),
    deleteParticipant: (id) => done(void s.deleteParticipant.run(id)),
    membershipsPage: (identity, afterId, limit) => done(s.membershipsPage.all(identity, afterId, limit)),
    conversationSidsOf: (identity) => done(s.conversationSidsOf.all(identity).map((r) => r.conversation_sid)),
    getMessage: (sid, index) => done(s.getMessage.get(sid, index)),
    getMessageBySid: (conversationSid, sid) => done(s.getMessageBySid.get(sid, conversationSid)),
    webhookTargets: (sid, kind) => done(s.webhookTargets.all(kind, sid)),
    listWebhooks: (scope, sid) => done(s.listWebhooks.all(scope, sid)),
    getWebhook: (sid) => done(s.getWebhook.get(sid)),
    listRoles: () => done(s.listRoles.all()),
    putRole: (row) => done(void s.putRole.run(row)),
    deleteRole: (sid) => done(void s.deleteRole.run(sid)),
    countRoleHolders: (sid) => done(s.countRoleHolders.get(sid, sid)!.n),
    listSettings: () => done(s.listSettings.all()),
    putSetting: (key, value) => done(void s.putSetting.run(key, value)),
    putWebhook: (row) => done(void s.putWebhook.run(row)),
    deleteWebhook: (sid) => done(void s.deleteWebhook.run(sid)),
    enqueueDeliveries: (rows) => {
      for (const row of rows) s.enqueueDelivery.run(row);
      return done(undefined);
    },
    claimDeliveries: (now, leaseUntil, limit) => {
      const due = s.dueDeliveries.all(now, limit);
      for (const row of due) s.leaseDelivery.run(leaseUntil, row.id);
      return done(due);
    },
    deleteDelivery: (id) => done(void s.deleteDelivery.run(id)),
    retryDelivery: (id, attempts, nextAttemptAt) => done(void s.retryDelivery.run(attempts, nextAttemptAt, id)),
    participantsPage: (sid, afterId, limit) => done(s.participantsPage.all(sid, afterId, limit)),
    getParticipantBySid: (sid) => done(s.getParticipantBySid.get(sid)),
    conversationsPage: (after, limit) =>
      done(after === null ? s.conversationsFirst.all(limit) : s.conversationsAfter.all(after.createdAt, after.sid, limit)),
    insertMessage: (row) => done(void s.insertMessage.run(row)),
    updateMessage: (row) => done(void s.updateMessage.run(row)),
    messagesBefore: (sid, before, limit) => done(s.messagesBefore.all(sid, before, limit)),
    messagesAfter: (sid, after, limit) => done(s.messagesAfter.all(sid, after, limit)),
    unreadCount: (sid, lastRead, identity) => done(s.unreadCount.get(sid, lastRead ?? -1, identity)!.n),
    insertMedia: (row) => done(void s.insertMedia.run(row)),
    getMedia: (sid) => done(s.getMedia.get(sid)),
    attachMedia: (sid, messageSid) => done(void s.attachMedia.run(messageSid, sid)),
    releaseMedia: (messageSid, at) => done(void s.releaseMedia.run(at, messageSid)),
    mediaBytesOf: (identity) => done(s.mediaBytesOf.get(identity)!.n),
    bridgedParticipants: (sid) => done(s.bridgedParticipants.all(sid)),
    addReaction: (sid, index, emoji, identity, now) => done(s.addReaction.run(sid, index, emoji, identity, now).changes === 1),
    removeReaction: (sid, index, emoji, identity) => done(s.removeReaction.run(sid, index, emoji, identity).changes === 1),
    firstReactors: (sid, index, emoji, limit) => done(s.firstReactors.all(sid, index, emoji, limit).map((r) => r.identity)),
    reactionsBy: (sid, identity, from, to) => done(s.reactionsBy.all(sid, identity, from, to)),
    deleteReactions: (sid, index) => done(void s.deleteReactions.run(sid, index)),
    repliesAfter: (sid, parent, after, limit) => done(s.repliesAfter.all(sid, parent, after, limit)),
    repliesBefore: (sid, parent, before, limit) => done(s.repliesBefore.all(sid, parent, before, limit)),
    dueConversationStates: (now, limit) => done(s.dueConversationStates.all(now, now, limit)),
    takeExpiredMedia: (now, limit) => {
      const due = s.dueMedia.all(now, limit);
      for (const row of due) s.deleteMedia.run(row.sid);
      return done(due);
    },
    getUser: (identity) => done(s.getUser.get(identity)),
    getUserBySid: (sid) => done(s.getUserBySid.get(sid)),
    usersPage: (after, limit) => done(after === null ? s.usersFirst.all(limit) : s.usersAfter.all(after, limit)),
    ensureUser: (identity, now, sid) => {
      s.insertUser.run(identity, now, sid);
      return done(s.getUser.get(identity)!);
    },
    updateUser: (row) => done(void s.updateUser.run(row)),
    bumpUserVersion: (identity) => done(void s.bumpUserVersion.run(identity)),
    upsertRegistration: (identity, type: PushType, token, now) => done(void s.upsertRegistration.run({ identity, type, token, now })),
    deleteRegistration: (identity, type, token) => done(s.deleteRegistration.run(identity, type, token).changes > 0),
    countRegistrations: (identity) => done(s.countRegistrations.get(identity)!.n),
    pushTargets: (sid, author) => done(s.pushTargets.all(sid, author)),
    getIdempotency: (identity, key) => done(s.getIdempotency.get(identity, key)),
    insertIdempotency: (identity, key, op, argsHash, result, now) => done(void s.insertIdempotency.run(identity, key, op, argsHash, result, now)),
    appendEvent: (event) => {
      const conversationSid = 'conversation' in event.stream ? event.stream.conversation : null;
      const identity = 'user' in event.stream ? event.stream.user : null;
      const stream = conversationSid === null ? `u:${identity!}` : `c:${conversationSid}`;
      const prev = s.streamHead.get(stream)?.head ?? 0;
      const seq = Number(s.appendEvent.run(conversationSid, identity, prev, event.kind, event.payload, event.at).lastInsertRowid);
      s.setStreamHead.run(stream, seq);
      // Count-based retention, paid one position at a time as the log grows past its bound.
      if (seq > retention.maxEvents) s.trimLog.run(seq - retention.maxEvents);
      return done({ seq, prev, conversationSid, identity, kind: event.kind, payload: event.payload, at: event.at });
    },
    openMembership: (identity, sid, fromSeq) => done(void s.openMembership.run(identity, sid, fromSeq)),
    closeMembership: (identity, sid, toSeq) => done(void s.closeMembership.run(toSeq, identity, sid)),
    headSeq: () => done(head()),
    eventsFor: (identity, afterSeq) => {
      const oldest = s.oldest.get()?.seq ?? head() + 1;
      // Retention dropped positions before `oldest`: some of them may have been this user's.
      if (afterSeq < oldest - 1) return done(null);
      return done(s.eventsFor.all(identity, afterSeq, afterSeq, identity, afterSeq).map(toEvent));
    },
    eventsAfter: (afterSeq, limit) => {
      const oldest = s.oldest.get()?.seq ?? head() + 1;
      if (afterSeq < oldest - 1) return done(null);
      return done(s.eventsAfter.all(afterSeq, limit).map(toEvent));
    },
  };
}
