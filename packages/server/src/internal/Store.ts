import type { Database, Statement } from 'better-sqlite3';
import type { PushType } from '@rx-conversations/protocol';
import type { ConversationRow, MessageRow, ParticipantRow, UserRow } from './rows.js';

/** A push registration joined with nothing: what a push sender needs. */
export interface RegistrationRow {
  identity: string;
  type: PushType;
  token: string;
}

/** A stored idempotent result. */
export interface IdempotencyRow {
  op: string;
  args_hash: string;
  result: string;
}

/**
 * Every SQL statement of the server except the event log's, prepared once. Methods are synchronous and
 * do no authorisation: callers run them inside one transaction per write.
 */
export class Store {
  private readonly s: {
    getConversation: Statement<[string], ConversationRow>;
    getConversationByUniqueName: Statement<[string], ConversationRow>;
    insertConversation: Statement<[ConversationRow]>;
    updateConversation: Statement<[ConversationRow]>;
    deleteConversation: Statement<[string]>;
    deleteConversationParticipants: Statement<[string]>;
    deleteConversationMessages: Statement<[string]>;
    getParticipant: Statement<[string, string], ParticipantRow>;
    listParticipants: Statement<[string], ParticipantRow>;
    insertParticipant: Statement<[Omit<ParticipantRow, 'id'>]>;
    updateParticipant: Statement<[ParticipantRow]>;
    deleteParticipant: Statement<[number]>;
    membershipsPage: Statement<[string, number, number], ParticipantRow>;
    getMessage: Statement<[string, number], MessageRow>;
    insertMessage: Statement<[MessageRow]>;
    updateMessage: Statement<[MessageRow]>;
    messagesBefore: Statement<[string, number, number], MessageRow>;
    messagesAfter: Statement<[string, number, number], MessageRow>;
    unreadCount: Statement<[string, number, string], { n: number }>;
    getUser: Statement<[string], UserRow>;
    insertUser: Statement<[string, number]>;
    updateUser: Statement<[UserRow]>;
    bumpUserVersion: Statement<[string], { version: number }>;
    upsertRegistration: Statement<[{ identity: string; type: string; token: string; now: number }]>;
    deleteRegistration: Statement<[string, string, string]>;
    countRegistrations: Statement<[string], { n: number }>;
    pushTargets: Statement<[string, string], RegistrationRow>;
    pruneRegistrations: Statement<[number]>;
    getIdempotency: Statement<[string, string], IdempotencyRow>;
    insertIdempotency: Statement<[string, string, string, string, string, number]>;
    pruneIdempotency: Statement<[number]>;
  };

  // One transaction wrapper for every write, instead of a new one per call.
  private readonly runInTransaction: (fn: () => unknown) => unknown;

  constructor(readonly db: Database) {
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
    const p = <A extends unknown[], R = unknown>(sql: string) => db.prepare<A, R>(sql);
    this.s = {
      getConversation: p('SELECT * FROM conversations WHERE sid = ?'),
      getConversationByUniqueName: p('SELECT * FROM conversations WHERE unique_name = ?'),
      insertConversation: p(`INSERT INTO conversations VALUES (@sid, @unique_name, @friendly_name, @attributes,
        @created_by, @created_at, @updated_at, @version, @last_message_index, @last_message_at, @messages_count,
        @participants_count)`),
      updateConversation: p(`UPDATE conversations SET unique_name = @unique_name, friendly_name = @friendly_name,
        attributes = @attributes, updated_at = @updated_at, version = @version,
        last_message_index = @last_message_index, last_message_at = @last_message_at,
        messages_count = @messages_count, participants_count = @participants_count WHERE sid = @sid`),
      deleteConversation: p('DELETE FROM conversations WHERE sid = ?'),
      deleteConversationParticipants: p('DELETE FROM participants WHERE conversation_sid = ?'),
      deleteConversationMessages: p('DELETE FROM messages WHERE conversation_sid = ?'),
      getParticipant: p('SELECT * FROM participants WHERE conversation_sid = ? AND identity = ?'),
      listParticipants: p('SELECT * FROM participants WHERE conversation_sid = ? ORDER BY id'),
      insertParticipant: p(`INSERT INTO participants (sid, conversation_sid, identity, role, attributes,
        notification_level, last_read_message_index, last_read_at, joined_at, updated_at, version)
        VALUES (@sid, @conversation_sid, @identity, @role, @attributes, @notification_level,
        @last_read_message_index, @last_read_at, @joined_at, @updated_at, @version)`),
      updateParticipant: p(`UPDATE participants SET role = @role, attributes = @attributes,
        notification_level = @notification_level, last_read_message_index = @last_read_message_index,
        last_read_at = @last_read_at, updated_at = @updated_at, version = @version WHERE id = @id`),
      deleteParticipant: p('DELETE FROM participants WHERE id = ?'),
      membershipsPage: p('SELECT * FROM participants WHERE identity = ? AND id > ? ORDER BY id LIMIT ?'),
      getMessage: p('SELECT * FROM messages WHERE conversation_sid = ? AND idx = ?'),
      insertMessage: p(`INSERT INTO messages VALUES (@conversation_sid, @idx, @sid, @author, @body, @attributes,
        @created_at, @updated_at, @version, @removed, @idempotency_key)`),
      updateMessage: p(`UPDATE messages SET body = @body, attributes = @attributes, updated_at = @updated_at,
        version = @version, removed = @removed WHERE conversation_sid = @conversation_sid AND idx = @idx`),
      messagesBefore: p(`SELECT * FROM messages WHERE conversation_sid = ? AND idx < ? AND removed = 0
        ORDER BY idx DESC LIMIT ?`),
      messagesAfter: p(`SELECT * FROM messages WHERE conversation_sid = ? AND idx > ? AND removed = 0
        ORDER BY idx ASC LIMIT ?`),
      unreadCount: p(`SELECT COUNT(*) AS n FROM messages WHERE conversation_sid = ? AND idx > ? AND removed = 0
        AND author != ?`),
      getUser: p('SELECT * FROM users WHERE identity = ?'),
      insertUser: p('INSERT OR IGNORE INTO users (identity, created_at) VALUES (?, ?)'),
      updateUser: p(`UPDATE users SET friendly_name = @friendly_name, attributes = @attributes, version = @version
        WHERE identity = @identity`),
      bumpUserVersion: p('UPDATE users SET version = version + 1 WHERE identity = ? RETURNING version'),
      upsertRegistration: p(`INSERT INTO push_registrations VALUES (@identity, @type, @token, @now, @now)
        ON CONFLICT (identity, type, token) DO UPDATE SET last_seen_at = excluded.last_seen_at`),
      deleteRegistration: p('DELETE FROM push_registrations WHERE identity = ? AND type = ? AND token = ?'),
      countRegistrations: p('SELECT COUNT(*) AS n FROM push_registrations WHERE identity = ?'),
      pushTargets: p(`SELECT r.identity, r.type, r.token FROM participants p
        JOIN push_registrations r ON r.identity = p.identity
        WHERE p.conversation_sid = ? AND p.identity != ? AND p.notification_level != 'muted'`),
      pruneRegistrations: p('DELETE FROM push_registrations WHERE last_seen_at < ?'),
      getIdempotency: p('SELECT op, args_hash, result FROM idempotency WHERE identity = ? AND key = ?'),
      insertIdempotency: p('INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)'),
      pruneIdempotency: p('DELETE FROM idempotency WHERE created_at < ?'),
    };
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<R>(fn: () => R): R {
    return this.runInTransaction(fn) as R;
  }

  getConversation(sid: string): ConversationRow | undefined {
    return this.s.getConversation.get(sid);
  }

  getConversationByUniqueName(uniqueName: string): ConversationRow | undefined {
    return this.s.getConversationByUniqueName.get(uniqueName);
  }

  insertConversation(row: ConversationRow): void {
    this.s.insertConversation.run(row);
  }

  updateConversation(row: ConversationRow): void {
    this.s.updateConversation.run(row);
  }

  deleteConversation(sid: string): void {
    this.s.deleteConversationMessages.run(sid);
    this.s.deleteConversationParticipants.run(sid);
    this.s.deleteConversation.run(sid);
  }

  getParticipant(conversationSid: string, identity: string): ParticipantRow | undefined {
    return this.s.getParticipant.get(conversationSid, identity);
  }

  listParticipants(conversationSid: string): ParticipantRow[] {
    return this.s.listParticipants.all(conversationSid);
  }

  insertParticipant(row: Omit<ParticipantRow, 'id'>): ParticipantRow {
    const { lastInsertRowid } = this.s.insertParticipant.run(row);
    return { ...row, id: Number(lastInsertRowid) };
  }

  updateParticipant(row: ParticipantRow): void {
    this.s.updateParticipant.run(row);
  }

  deleteParticipant(id: number): void {
    this.s.deleteParticipant.run(id);
  }

  /** The caller's memberships after keyset `afterId`, oldest first. */
  membershipsPage(identity: string, afterId: number, limit: number): ParticipantRow[] {
    return this.s.membershipsPage.all(identity, afterId, limit);
  }

  getMessage(conversationSid: string, index: number): MessageRow | undefined {
    return this.s.getMessage.get(conversationSid, index);
  }

  insertMessage(row: MessageRow): void {
    this.s.insertMessage.run(row);
  }

  updateMessage(row: MessageRow): void {
    this.s.updateMessage.run(row);
  }

  /** Non-removed messages below `before` (exclusive), newest first. */
  messagesBefore(conversationSid: string, before: number, limit: number): MessageRow[] {
    return this.s.messagesBefore.all(conversationSid, before, limit);
  }

  /** Non-removed messages above `after` (exclusive), oldest first. */
  messagesAfter(conversationSid: string, after: number, limit: number): MessageRow[] {
    return this.s.messagesAfter.all(conversationSid, after, limit);
  }

  /** Non-removed messages by others above the horizon (all of them when it is null). */
  unreadCount(conversationSid: string, lastRead: number | null, identity: string): number {
    return this.s.unreadCount.get(conversationSid, lastRead ?? -1, identity)!.n;
  }

  getUser(identity: string): UserRow | undefined {
    return this.s.getUser.get(identity);
  }

  /** The user's row, created on first sight (a user exists once they connect or are added). */
  ensureUser(identity: string, now: number): UserRow {
    this.s.insertUser.run(identity, now);
    return this.s.getUser.get(identity)!;
  }

  updateUser(row: UserRow): void {
    this.s.updateUser.run(row);
  }

  /** Marks a change of state kept outside the row (reachability, push): clients compare versions. */
  bumpUserVersion(identity: string): number | undefined {
    return this.s.bumpUserVersion.get(identity)?.version;
  }

  upsertRegistration(identity: string, type: PushType, token: string, now: number): void {
    this.s.upsertRegistration.run({ identity, type, token, now });
  }

  deleteRegistration(identity: string, type: PushType, token: string): boolean {
    return this.s.deleteRegistration.run(identity, type, token).changes > 0;
  }

  countRegistrations(identity: string): number {
    return this.s.countRegistrations.get(identity)!.n;
  }

  /** Registrations of the conversation's participants other than `author`, unless muted. */
  pushTargets(conversationSid: string, author: string): RegistrationRow[] {
    return this.s.pushTargets.all(conversationSid, author);
  }

  pruneRegistrations(lastSeenBefore: number): number {
    return this.s.pruneRegistrations.run(lastSeenBefore).changes;
  }

  getIdempotency(identity: string, key: string): IdempotencyRow | undefined {
    return this.s.getIdempotency.get(identity, key);
  }

  insertIdempotency(identity: string, key: string, op: string, argsHash: string, result: string, now: number): void {
    this.s.insertIdempotency.run(identity, key, op, argsHash, result, now);
  }

  pruneIdempotency(createdBefore: number): number {
    return this.s.pruneIdempotency.run(createdBefore).changes;
  }
}
