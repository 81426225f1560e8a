import type {
  ConversationUpdateReason,
  ConversationsPage,
  JsonValue,
  MessageUpdateReason,
  OpArgs,
  OpName,
  OpResult,
  Participant,
  ParticipantUpdateReason,
  SignalFrame,
  User,
  UserUpdateReason,
} from '@rx-conversations/protocol';
import { FakeServerError } from '../FakeServerError.js';
import type { ConversationRecord, MemberRecord, Model } from './Model.js';

/** What a handler may do beyond the model: reach connections (signals, watch sets, tokens). */
export interface OpContext {
  readonly model: Model;
  readonly identity: string;
  /** Sends a signal to every open, welcomed connection of these identities. */
  readonly signal: (identities: Iterable<string>, frame: SignalFrame) => void;
  /** Sends a signal to every connection watching `identity` (`users.subscribe`). */
  readonly signalWatchers: (identity: string, frame: SignalFrame) => void;
  readonly isConnected: (identity: string) => boolean;
  readonly watch: (identities: readonly string[]) => void;
  readonly unwatch: (identities: readonly string[]) => void;
  readonly updateToken: (token: string) => { expiresAt: number };
  /** Forces the sid of a conversation being created (seeding). */
  readonly forcedSid?: string;
}

type Handlers = { readonly [O in OpName]: (ctx: OpContext, args: OpArgs<O>) => OpResult<O> };

const DEFAULT_MESSAGES_PAGE = 30;
const DEFAULT_CONVERSATIONS_PAGE = 50;

const fail = (code: FakeServerError['code'], message?: string, path?: string): never => {
  throw new FakeServerError(code, message, path === undefined ? undefined : { path });
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function findConversation(ctx: OpContext, ref: { sid?: string; uniqueName?: string }): ConversationRecord {
  const sid = ref.sid ?? (ref.uniqueName === undefined ? undefined : ctx.model.uniqueNames.get(ref.uniqueName));
  const conversation = sid === undefined ? undefined : ctx.model.conversations.get(sid);
  return conversation ?? fail('conversation_not_found', `no conversation ${JSON.stringify(ref.sid ?? ref.uniqueName)}`);
}

function requireMember(ctx: OpContext, conversation: ConversationRecord): MemberRecord {
  return conversation.members.get(ctx.identity) ?? fail('not_a_participant', `${ctx.identity} is not a participant of ${conversation.sid}`);
}

function requireAdmin(ctx: OpContext, conversation: ConversationRecord): MemberRecord {
  const member = requireMember(ctx, conversation);
  return member.participant.role === 'admin' ? member : fail('admin_required', `only admins of ${conversation.sid} may do this`);
}

/**
 * The conversation itself changed (its fields, roster size, messages or counts): its version grows.
 * Per-member changes (read horizon, notification level, role) grow the member's participant version
 * instead; a snapshot's version is the sum of both, as on the real server (packages/server rows.ts).
 */
function touch(ctx: OpContext, conversation: ConversationRecord, updated = false): void {
  conversation.version += 1;
  if (updated) conversation.updatedAt = ctx.model.now();
}

/** Adds a participant. The creator of a new conversation gets only `conversationAdded` (docs/protocol.md §5). */
function addMember(ctx: OpContext, conversation: ConversationRecord, identity: string, role: Participant['role'], attributes: JsonValue, announce = true): Participant {
  if (conversation.members.has(identity)) fail('participant_exists', `${identity} is already a participant of ${conversation.sid}`, 'args.identity');
  ctx.model.ensureUser(identity);
  const now = ctx.model.now();
  const participant: Participant = Object.freeze({
    sid: ctx.model.nextSid('MB'),
    conversationSid: conversation.sid,
    identity,
    role,
    attributes,
    lastReadMessageIndex: null,
    lastReadAt: null,
    joinedAt: now,
    updatedAt: now,
    version: 1,
  });
  conversation.members.set(identity, { participant, notificationLevel: 'default', joinOrder: ctx.model.nextJoinOrder() });
  touch(ctx, conversation);
  ctx.model.emit(identity, 'conversationAdded', { conversation: ctx.model.conversationFor(conversation, identity) });
  if (announce) for (const other of conversation.members.keys()) ctx.model.emit(other, 'participantJoined', { participant });
  return participant;
}

function removeMember(ctx: OpContext, conversation: ConversationRecord, identity: string, reason: 'left' | 'removed'): void {
  const member = conversation.members.get(identity) ?? fail('participant_not_found', `${identity} is not a participant of ${conversation.sid}`, 'args.identity');
  conversation.members.delete(identity);
  touch(ctx, conversation);
  ctx.model.emit(identity, 'conversationRemoved', { sid: conversation.sid, reason });
  const left = { conversationSid: conversation.sid, identity, sid: member.participant.sid };
  for (const other of conversation.members.keys()) ctx.model.emit(other, 'participantLeft', left);
}

/** Changes a member's row: its version grows (and with it that member's snapshot version), not the conversation's. */
function changeMember(ctx: OpContext, member: MemberRecord, changes: Partial<Participant>): Participant {
  member.participant = Object.freeze({
    ...member.participant,
    ...changes,
    version: member.participant.version + 1,
    updatedAt: ctx.model.now(),
  });
  return member.participant;
}

/** Tells every participant that `participant` changed. */
function emitParticipantUpdated(ctx: OpContext, conversation: ConversationRecord, participant: Participant, reasons: ParticipantUpdateReason[]): void {
  for (const other of conversation.members.keys()) ctx.model.emit(other, 'participantUpdated', { participant, updateReasons: reasons });
}

function emitConversationUpdated(ctx: OpContext, conversation: ConversationRecord, to: Iterable<string>, reasons: ConversationUpdateReason[]): void {
  for (const identity of to) {
    ctx.model.emit(identity, 'conversationUpdated', { conversation: ctx.model.conversationFor(conversation, identity), updateReasons: reasons });
  }
}

function setNotifiable(ctx: OpContext, identity: string): void {
  const isNotifiable = ctx.model.pushRegistrations.some((r) => r.identity === identity);
  const user = ctx.model.ensureUser(identity);
  if (user.isNotifiable === isNotifiable) return;
  const updated = ctx.model.updateUser(identity, { isNotifiable });
  ctx.signalWatchers(identity, { type: 'sig', kind: 'userUpdated', data: { user: updated, updateReasons: ['isNotifiable'] } });
}

function recordPushes(ctx: OpContext, conversation: ConversationRecord, index: number): void {
  const record = conversation.messages[index];
  if (record === undefined) return;
  const { message } = record;
  for (const [identity, member] of conversation.members) {
    if (identity === message.author || member.notificationLevel === 'muted' || ctx.isConnected(identity)) continue;
    for (const registration of ctx.model.pushRegistrations) {
      if (registration.identity !== identity) continue;
      ctx.model.pushDeliveries.push({
        identity,
        type: registration.type,
        token: registration.token,
        payload: {
          rxc: 1,
          kind: 'newMessage',
          conversationSid: conversation.sid,
          conversationTitle: conversation.friendlyName ?? conversation.uniqueName,
          messageSid: message.sid,
          messageIndex: message.index,
          author: message.author,
          body: message.body === null ? null : message.body.slice(0, 256),
        },
      });
    }
  }
}

const HANDLERS: Handlers = {
  'conversations.list': (ctx, args) => {
    // In the order the caller joined them (the real server pages by membership row): stable while
    // paging, whatever activity happens meanwhile. Clients sort by activity themselves.
    const mine = [...ctx.model.conversations.values()]
      .filter((c) => c.members.has(ctx.identity))
      .sort((a, b) => a.members.get(ctx.identity)!.joinOrder - b.members.get(ctx.identity)!.joinOrder);
    const start = args.cursor === undefined ? 0 : Number(args.cursor);
    if (!Number.isSafeInteger(start) || start < 0) fail('invalid_argument', 'unknown cursor', 'args.cursor');
    const end = start + (args.pageSize ?? DEFAULT_CONVERSATIONS_PAGE);
    const page: ConversationsPage = {
      items: mine.slice(start, end).map((c) => ctx.model.conversationFor(c, ctx.identity)),
      nextCursor: end < mine.length ? String(end) : null,
      asOfSeq: ctx.model.log(ctx.identity).headSeq,
    };
    return page;
  },
  'conversations.get': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.peek': (ctx, args) => {
    // Same rule as get on the real server: no leak to non-participants (docs/server.md).
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.create': (ctx, args) => {
    if (args.uniqueName !== undefined && ctx.model.uniqueNames.has(args.uniqueName)) fail('unique_name_taken', undefined, 'args.uniqueName');
    const sid = ctx.forcedSid ?? ctx.model.nextSid('CH');
    if (ctx.model.conversations.has(sid)) throw new TypeError(`a conversation ${sid} already exists`);
    const now = ctx.model.now();
    const conversation: ConversationRecord = {
      sid,
      uniqueName: args.uniqueName ?? null,
      friendlyName: args.friendlyName ?? null,
      attributes: args.attributes ?? {},
      createdBy: ctx.identity,
      createdAt: now,
      updatedAt: now,
      version: 0,
      messages: [],
      members: new Map(),
    };
    ctx.model.conversations.set(sid, conversation);
    if (conversation.uniqueName !== null) ctx.model.uniqueNames.set(conversation.uniqueName, sid);
    addMember(ctx, conversation, ctx.identity, 'admin', {}, false);
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.update': (ctx, args) => {
    const conversation = findConversation(ctx, { sid: args.sid });
    requireAdmin(ctx, conversation);
    const reasons: ConversationUpdateReason[] = [];
    if (args.friendlyName !== undefined && args.friendlyName !== conversation.friendlyName) reasons.push('friendlyName');
    if (args.uniqueName !== undefined && args.uniqueName !== conversation.uniqueName) {
      if (args.uniqueName !== null && ctx.model.uniqueNames.has(args.uniqueName)) fail('unique_name_taken', undefined, 'args.uniqueName');
      reasons.push('uniqueName');
    }
    if (args.attributes !== undefined && !sameJson(args.attributes, conversation.attributes)) reasons.push('attributes');
    if (reasons.length === 0) return ctx.model.conversationFor(conversation, ctx.identity);
    if (reasons.includes('friendlyName')) conversation.friendlyName = args.friendlyName ?? null;
    if (reasons.includes('uniqueName')) {
      if (conversation.uniqueName !== null) ctx.model.uniqueNames.delete(conversation.uniqueName);
      conversation.uniqueName = args.uniqueName ?? null;
      if (conversation.uniqueName !== null) ctx.model.uniqueNames.set(conversation.uniqueName, conversation.sid);
    }
    if (reasons.includes('attributes')) conversation.attributes = args.attributes ?? {};
    touch(ctx, conversation, true);
    emitConversationUpdated(ctx, conversation, conversation.members.keys(), reasons);
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.delete': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireAdmin(ctx, conversation);
    ctx.model.conversations.delete(conversation.sid);
    if (conversation.uniqueName !== null) ctx.model.uniqueNames.delete(conversation.uniqueName);
    for (const identity of conversation.members.keys()) ctx.model.emit(identity, 'conversationRemoved', { sid: conversation.sid, reason: 'deleted' });
    return { sid: conversation.sid };
  },
  // Joining a conversation you are in changes nothing and is not an error (as on the real server).
  'conversations.join': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    if (!conversation.members.has(ctx.identity)) addMember(ctx, conversation, ctx.identity, 'member', {});
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.leave': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    removeMember(ctx, conversation, ctx.identity, 'left');
    return { sid: conversation.sid };
  },
  'conversations.setNotificationLevel': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    const member = requireMember(ctx, conversation);
    if (member.notificationLevel !== args.level) {
      member.notificationLevel = args.level;
      changeMember(ctx, member, {}); // the level is private: no participantUpdated, but the row's version grows
      emitConversationUpdated(ctx, conversation, [ctx.identity], ['notificationLevel']);
    }
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.setLastRead': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    const member = requireMember(ctx, conversation);
    const lastIndex = conversation.messages.length - 1;
    const wanted = args.index === null || lastIndex < 0 ? null : Math.min(args.index, lastIndex);
    const current = member.participant.lastReadMessageIndex;
    const next = args.mode === 'set' ? wanted : wanted === null ? current : Math.max(current ?? -1, wanted);
    if (next !== current) {
      const participant = changeMember(ctx, member, { lastReadMessageIndex: next, lastReadAt: ctx.model.now() });
      emitConversationUpdated(ctx, conversation, [ctx.identity], ['lastReadMessageIndex']);
      emitParticipantUpdated(ctx, conversation, participant, ['lastReadMessageIndex']);
    }
    return ctx.model.conversationFor(conversation, ctx.identity);
  },
  'conversations.counts': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    const snapshot = ctx.model.conversationFor(conversation, ctx.identity);
    return {
      messagesCount: snapshot.messagesCount,
      participantsCount: snapshot.participantsCount,
      unreadMessagesCount: snapshot.membership?.unreadMessagesCount ?? 0,
    };
  },
  'conversations.typing': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    const others = [...conversation.members.keys()].filter((identity) => identity !== ctx.identity);
    ctx.signal(others, { type: 'sig', kind: 'typing', data: { conversationSid: conversation.sid, identity: ctx.identity } });
    return null;
  },
  'participants.list': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    return { items: [...conversation.members.values()].map((m) => m.participant), asOfSeq: ctx.model.log(ctx.identity).headSeq };
  },
  'participants.add': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireAdmin(ctx, conversation);
    return addMember(ctx, conversation, args.identity, args.role ?? 'member', args.attributes ?? {});
  },
  'participants.remove': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    const self = args.identity === ctx.identity;
    if (self) requireMember(ctx, conversation);
    else requireAdmin(ctx, conversation);
    // Removing yourself is leaving, as on the real server.
    removeMember(ctx, conversation, args.identity, self ? 'left' : 'removed');
    return { identity: args.identity };
  },
  'participants.update': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    const caller = requireMember(ctx, conversation);
    const member = conversation.members.get(args.identity) ?? fail('participant_not_found', `${args.identity} is not a participant of ${conversation.sid}`, 'args.identity');
    const isAdmin = caller.participant.role === 'admin';
    if (!isAdmin && (args.role !== undefined || args.identity !== ctx.identity)) fail('admin_required');
    const reasons: ParticipantUpdateReason[] = [];
    const changes: { role?: Participant['role']; attributes?: JsonValue } = {};
    if (args.role !== undefined && args.role !== member.participant.role) {
      reasons.push('role');
      changes.role = args.role;
    }
    if (args.attributes !== undefined && !sameJson(args.attributes, member.participant.attributes)) {
      reasons.push('attributes');
      changes.attributes = args.attributes;
    }
    if (reasons.length === 0) return member.participant;
    const participant = changeMember(ctx, member, changes);
    emitParticipantUpdated(ctx, conversation, participant, reasons);
    // The role is part of the target's own view of the conversation (its membership).
    if (reasons.includes('role')) emitConversationUpdated(ctx, conversation, [args.identity], ['role']);
    return participant;
  },
  'messages.list': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    const pageSize = args.pageSize ?? DEFAULT_MESSAGES_PAGE;
    const anchor = args.anchor;
    const visible = conversation.messages.filter((m) => !m.removed).map((m) => m.message);
    const backwards = (args.direction ?? 'backwards') === 'backwards';
    const candidates = anchor === undefined ? visible : visible.filter((m) => (backwards ? m.index < anchor : m.index > anchor));
    const items = backwards ? candidates.slice(Math.max(0, candidates.length - pageSize)) : candidates.slice(0, pageSize);
    return { items, hasMore: candidates.length > pageSize, asOfSeq: ctx.model.log(ctx.identity).headSeq };
  },
  'messages.send': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    const now = ctx.model.now();
    const message = Object.freeze({
      sid: ctx.model.nextSid('IM'),
      conversationSid: conversation.sid,
      index: conversation.messages.length,
      author: ctx.identity,
      body: args.body ?? null,
      attributes: args.attributes ?? {},
      createdAt: now,
      updatedAt: now,
      version: 1,
      idempotencyKey: args.idempotencyKey,
    });
    conversation.messages.push({ message, removed: false });
    touch(ctx, conversation);
    // messageAdded is not followed by conversationUpdated: clients derive lastMessage and unread from it.
    for (const identity of conversation.members.keys()) ctx.model.emit(identity, 'messageAdded', { message });
    recordPushes(ctx, conversation, message.index);
    return message;
  },
  'messages.update': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    requireMember(ctx, conversation);
    const record = conversation.messages[args.index];
    if (record === undefined || record.removed) return fail('message_not_found', undefined, 'args.index');
    if (record.message.author !== ctx.identity) fail('not_author');
    const reasons: MessageUpdateReason[] = [];
    if (args.body !== undefined && args.body !== record.message.body) reasons.push('body');
    if (args.attributes !== undefined && !sameJson(args.attributes, record.message.attributes)) reasons.push('attributes');
    if (reasons.length === 0) return record.message;
    record.message = Object.freeze({
      ...record.message,
      body: args.body === undefined ? record.message.body : args.body,
      attributes: args.attributes === undefined ? record.message.attributes : args.attributes,
      version: record.message.version + 1,
      updatedAt: ctx.model.now(),
    });
    // Editing a message changes no field of the conversation: its version stays (as on the real server).
    for (const identity of conversation.members.keys()) ctx.model.emit(identity, 'messageUpdated', { message: record.message, updateReasons: reasons });
    return record.message;
  },
  'messages.remove': (ctx, args) => {
    const conversation = findConversation(ctx, args);
    const member = requireMember(ctx, conversation);
    const record = conversation.messages[args.index];
    if (record === undefined || record.removed) return fail('message_not_found', undefined, 'args.index');
    if (record.message.author !== ctx.identity && member.participant.role !== 'admin') fail('not_author');
    record.removed = true;
    // The tombstone keeps its index, sid and author; its content goes (as on the real server).
    record.message = Object.freeze({ ...record.message, body: null, attributes: {}, version: record.message.version + 1, updatedAt: ctx.model.now() });
    touch(ctx, conversation);
    const removed = { conversationSid: conversation.sid, sid: record.message.sid, index: args.index, version: record.message.version, author: record.message.author };
    for (const identity of conversation.members.keys()) ctx.model.emit(identity, 'messageRemoved', removed);
    return { index: args.index };
  },
  'users.get': (ctx, args) => ctx.model.users.get(args.identity) ?? fail('user_not_found', `no user ${JSON.stringify(args.identity)}`, 'args.identity'),
  'users.subscribe': (ctx, args) => {
    ctx.watch(args.identities);
    return { items: args.identities.flatMap((identity) => ctx.model.users.get(identity) ?? []) };
  },
  'users.unsubscribe': (ctx, args) => {
    ctx.unwatch(args.identities);
    return null;
  },
  'users.updateMe': (ctx, args) => {
    const user = ctx.model.ensureUser(ctx.identity);
    const reasons: UserUpdateReason[] = [];
    const changes: { friendlyName?: string | null; attributes?: JsonValue } = {};
    if (args.friendlyName !== undefined && args.friendlyName !== user.friendlyName) {
      reasons.push('friendlyName');
      changes.friendlyName = args.friendlyName;
    }
    if (args.attributes !== undefined && !sameJson(args.attributes, user.attributes)) {
      reasons.push('attributes');
      changes.attributes = args.attributes;
    }
    if (reasons.length === 0) return user;
    const updated: User = ctx.model.updateUser(ctx.identity, changes);
    ctx.model.emit(ctx.identity, 'userUpdated', { user: updated, updateReasons: reasons });
    ctx.signalWatchers(ctx.identity, { type: 'sig', kind: 'userUpdated', data: { user: updated, updateReasons: reasons } });
    return updated;
  },
  'push.register': (ctx, args) => {
    const registeredAt = ctx.model.now();
    const registrations = ctx.model.pushRegistrations;
    const existing = registrations.findIndex((r) => r.identity === ctx.identity && r.type === args.type && r.token === args.token);
    if (existing >= 0) registrations.splice(existing, 1);
    registrations.push(Object.freeze({ identity: ctx.identity, type: args.type, token: args.token, registeredAt }));
    setNotifiable(ctx, ctx.identity);
    return { registeredAt };
  },
  'push.unregister': (ctx, args) => {
    const registrations = ctx.model.pushRegistrations;
    const existing = registrations.findIndex((r) => r.identity === ctx.identity && r.type === args.type && r.token === args.token);
    if (existing >= 0) registrations.splice(existing, 1);
    setNotifiable(ctx, ctx.identity);
    return null;
  },
  'token.update': (ctx, args) => ctx.updateToken(args.token),
};

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/**
 * Runs one operation for `ctx.identity` with the server's semantics (docs/protocol.md): checks
 * authorisation, mutates the model, appends the events it causes to each recipient's log (which fans
 * them out before the caller gets the result: events before reply), and honours idempotency keys.
 * Throws {@link FakeServerError} with the wire code on failure, leaving the model untouched.
 */
export function handleOp<O extends OpName>(ctx: OpContext, op: O, args: OpArgs<O>): OpResult<O> {
  const key = (args as { idempotencyKey?: unknown }).idempotencyKey;
  const handler = HANDLERS[op] as (ctx: OpContext, args: OpArgs<O>) => OpResult<O>;
  if (typeof key !== 'string') return handler(ctx, args);
  const slot = `${ctx.identity}\u0000${key}`;
  const fingerprint = `${op} ${stableJson(args)}`;
  const previous = ctx.model.idempotency.get(slot);
  if (previous !== undefined) {
    // No details.path: the real server's conflict carries none.
    if (previous.fingerprint !== fingerprint) fail('idempotency_key_conflict', `idempotency key ${JSON.stringify(key)} was used for another request`);
    return previous.result as OpResult<O>;
  }
  const result = handler(ctx, args);
  ctx.model.idempotency.set(slot, { fingerprint, result });
  return result;
}
