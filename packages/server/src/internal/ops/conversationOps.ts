import type { Conversation, ConversationUpdateReason, JsonValue } from '@rx-conversations/protocol';
import type { Backend, WriteBatch } from '../Backend.js';
import { newSid } from '../newSid.js';
import { toParticipant as toParticipantEntity, type ConversationRow, type ParticipantRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { OpHandlers } from './OpContext.js';

const DEFAULT_CONVERSATIONS_PAGE = 50;
const CURSOR = /^[0-9]{1,15}$/;

const json = (value: JsonValue | undefined): string => JSON.stringify(value ?? {});

/** Emits `conversationUpdated` to each participant, each with their own membership in the snapshot. */
export function emitConversationUpdated(
  backend: Backend,
  batch: WriteBatch,
  conversation: ConversationRow,
  participants: readonly ParticipantRow[],
  updateReasons: ConversationUpdateReason[],
): void {
  for (const participant of participants) {
    batch.emit([participant.identity], 'conversationUpdated', {
      conversation: backend.conversationFor(conversation, participant),
      updateReasons,
    });
  }
}

/**
 * Adds `identity` to the conversation: `conversationAdded` to the newcomer, then `participantJoined` to
 * everyone including the newcomer (SRV-3). A creator is not announced: `conversationAdded` says it all.
 */
export function addParticipant(
  backend: Backend,
  batch: WriteBatch,
  conversation: ConversationRow,
  identity: string,
  role: ParticipantRow['role'],
  attributes: JsonValue | undefined,
  announce = true,
): { conversation: ConversationRow; participant: ParticipantRow } {
  const { store } = backend;
  store.ensureUser(identity, batch.now);
  const participant = store.insertParticipant({
    sid: newSid('MB'),
    conversation_sid: conversation.sid,
    identity,
    role,
    attributes: json(attributes),
    notification_level: 'default',
    last_read_message_index: null,
    last_read_at: null,
    joined_at: batch.now,
    updated_at: batch.now,
    version: 1,
  });
  const updated = { ...conversation, participants_count: conversation.participants_count + 1, version: conversation.version + 1 };
  store.updateConversation(updated);
  batch.emit([identity], 'conversationAdded', { conversation: backend.conversationFor(updated, participant) });
  if (announce) {
    const everyone = store.listParticipants(conversation.sid).map((p) => p.identity);
    batch.emit(everyone, 'participantJoined', { participant: toParticipantEntity(participant) });
  }
  return { conversation: updated, participant };
}

/**
 * Removes a participant: `conversationRemoved` to them, `participantLeft` to those who remain.
 */
export function removeParticipant(
  backend: Backend,
  batch: WriteBatch,
  conversation: ConversationRow,
  participant: ParticipantRow,
  reason: 'left' | 'removed',
): void {
  const { store } = backend;
  store.deleteParticipant(participant.id);
  store.updateConversation({ ...conversation, participants_count: conversation.participants_count - 1, version: conversation.version + 1 });
  batch.emit([participant.identity], 'conversationRemoved', { sid: conversation.sid, reason });
  const remaining = store.listParticipants(conversation.sid).map((p) => p.identity);
  batch.emit(remaining, 'participantLeft', { conversationSid: conversation.sid, identity: participant.identity, sid: participant.sid });
}

function unchanged(backend: Backend, conversation: ConversationRow, participant: ParticipantRow): Conversation {
  return backend.conversationFor(conversation, participant);
}

/** Conversation operations (SRV-3). */
export const conversationOps: OpHandlers<
  | 'conversations.list'
  | 'conversations.get'
  | 'conversations.peek'
  | 'conversations.create'
  | 'conversations.update'
  | 'conversations.delete'
  | 'conversations.join'
  | 'conversations.leave'
  | 'conversations.setNotificationLevel'
  | 'conversations.setLastRead'
  | 'conversations.counts'
  | 'conversations.typing'
> = {
  'conversations.list': ({ backend, identity }, args) => {
    if (args.cursor !== undefined && !CURSOR.test(args.cursor)) {
      throw serverError('invalid_argument', 'conversations.list: args.cursor is not a cursor this server issued', { path: 'args.cursor' });
    }
    const pageSize = args.pageSize ?? DEFAULT_CONVERSATIONS_PAGE;
    const after = args.cursor === undefined ? 0 : Number(args.cursor);
    // Keyset pagination on the membership row id: stable under concurrent joins and leaves, no OFFSET.
    const { value, asOfSeq } = backend.read(identity, () => {
      const rows = backend.store.membershipsPage(identity, after, pageSize + 1);
      const page = rows.slice(0, pageSize);
      const items = page.map((participant) => backend.conversationFor(backend.store.getConversation(participant.conversation_sid)!, participant));
      return { items, nextCursor: rows.length > pageSize ? String(page[page.length - 1]!.id) : null };
    });
    return { ...value, asOfSeq };
  },

  'conversations.get': ({ backend, identity }, args) => {
    const conversation = backend.findConversation(args);
    return backend.conversationFor(conversation, backend.requireParticipant(conversation, identity));
  },

  // Same rule as get (no leak to non-participants); the difference is on the client, which does not
  // subscribe the result into its store.
  'conversations.peek': ({ backend, identity }, args) => {
    const conversation = backend.findConversation(args);
    return backend.conversationFor(conversation, backend.requireParticipant(conversation, identity));
  },

  'conversations.create': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.create', args, (batch) => {
      const { store } = backend;
      if (args.uniqueName !== undefined && store.getConversationByUniqueName(args.uniqueName) !== undefined) {
        throw serverError('unique_name_taken', 'another conversation already has this unique name', { path: 'args.uniqueName' });
      }
      const conversation: ConversationRow = {
        sid: newSid('CH'),
        unique_name: args.uniqueName ?? null,
        friendly_name: args.friendlyName ?? null,
        attributes: json(args.attributes),
        created_by: identity,
        created_at: batch.now,
        updated_at: batch.now,
        version: 0,
        last_message_index: null,
        last_message_at: null,
        messages_count: 0,
        participants_count: 0,
      };
      store.insertConversation(conversation);
      // The creator joins as admin; addParticipant brings the version to 1 and emits conversationAdded.
      const { conversation: created, participant } = addParticipant(backend, batch, conversation, identity, 'admin', undefined, false);
      return backend.conversationFor(created, participant);
    }),

  'conversations.update': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.update', args, (batch) => {
      const { store } = backend;
      const conversation = backend.findConversation({ sid: args.sid });
      const caller = backend.requireAdmin(conversation, identity);
      const next = { ...conversation };
      const reasons: ConversationUpdateReason[] = [];
      if (args.friendlyName !== undefined && args.friendlyName !== conversation.friendly_name) {
        next.friendly_name = args.friendlyName;
        reasons.push('friendlyName');
      }
      if (args.uniqueName !== undefined && args.uniqueName !== conversation.unique_name) {
        if (args.uniqueName !== null && store.getConversationByUniqueName(args.uniqueName) !== undefined) {
          throw serverError('unique_name_taken', 'another conversation already has this unique name', { path: 'args.uniqueName' });
        }
        next.unique_name = args.uniqueName;
        reasons.push('uniqueName');
      }
      if (args.attributes !== undefined && json(args.attributes) !== conversation.attributes) {
        next.attributes = json(args.attributes);
        reasons.push('attributes');
      }
      if (reasons.length === 0) return unchanged(backend, conversation, caller);
      next.version += 1;
      next.updated_at = batch.now;
      store.updateConversation(next);
      emitConversationUpdated(backend, batch, next, store.listParticipants(next.sid), reasons);
      return backend.conversationFor(next, caller);
    }),

  'conversations.delete': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.delete', args, (batch) => {
      const conversation = backend.findConversation({ sid: args.sid });
      backend.requireAdmin(conversation, identity);
      const everyone = backend.store.listParticipants(conversation.sid).map((p) => p.identity);
      batch.emit(everyone, 'conversationRemoved', { sid: conversation.sid, reason: 'deleted' });
      backend.store.deleteConversation(conversation.sid);
      return { sid: conversation.sid };
    }),

  // Conversations are open: anyone who knows the sid or unique name may join (SRV-3, docs/server.md).
  'conversations.join': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.join', args, (batch) => {
      const conversation = backend.findConversation(args);
      const existing = backend.store.getParticipant(conversation.sid, identity);
      if (existing !== undefined) return unchanged(backend, conversation, existing);
      const joined = addParticipant(backend, batch, conversation, identity, 'member', undefined);
      return backend.conversationFor(joined.conversation, joined.participant);
    }),

  'conversations.leave': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.leave', args, (batch) => {
      const conversation = backend.findConversation({ sid: args.sid });
      removeParticipant(backend, batch, conversation, backend.requireParticipant(conversation, identity), 'left');
      return { sid: conversation.sid };
    }),

  'conversations.setNotificationLevel': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.setNotificationLevel', args, (batch) => {
      const conversation = backend.findConversation({ sid: args.sid });
      const caller = backend.requireParticipant(conversation, identity);
      if (caller.notification_level === args.level) return unchanged(backend, conversation, caller);
      const next: ParticipantRow = { ...caller, notification_level: args.level, version: caller.version + 1, updated_at: batch.now };
      backend.store.updateParticipant(next);
      emitConversationUpdated(backend, batch, conversation, [next], ['notificationLevel']);
      return backend.conversationFor(conversation, next);
    }),

  'conversations.setLastRead': ({ backend, identity }, args) =>
    backend.write(identity, 'conversations.setLastRead', args, (batch) => {
      const conversation = backend.findConversation({ sid: args.sid });
      const caller = backend.requireParticipant(conversation, identity);
      const last = conversation.last_message_index;
      // A horizon beyond the newest message would mark future messages read before they exist.
      const wanted = args.index === null || last === null ? null : Math.min(args.index, last);
      const current = caller.last_read_message_index;
      const target = args.mode === 'advance' && (wanted === null || (current !== null && wanted <= current)) ? current : wanted;
      if (target === current) return unchanged(backend, conversation, caller);
      const next: ParticipantRow = {
        ...caller,
        last_read_message_index: target,
        last_read_at: batch.now,
        updated_at: batch.now,
        version: caller.version + 1,
      };
      backend.store.updateParticipant(next);
      emitConversationUpdated(backend, batch, conversation, [next], ['lastReadMessageIndex']);
      const everyone = backend.store.listParticipants(conversation.sid).map((p) => p.identity);
      batch.emit(everyone, 'participantUpdated', { participant: toParticipantEntity(next), updateReasons: ['lastReadMessageIndex'] });
      return backend.conversationFor(conversation, next);
    }),

  'conversations.counts': ({ backend, identity }, args) => {
    const conversation = backend.findConversation({ sid: args.sid });
    const caller = backend.requireParticipant(conversation, identity);
    return {
      messagesCount: conversation.messages_count,
      participantsCount: conversation.participants_count,
      unreadMessagesCount: backend.store.unreadCount(conversation.sid, caller.last_read_message_index, identity),
    };
  },

  'conversations.typing': ({ backend, identity }, args) => {
    const conversation = backend.findConversation({ sid: args.sid });
    backend.requireParticipant(conversation, identity);
    const frame = JSON.stringify({ type: 'sig', kind: 'typing', data: { conversationSid: conversation.sid, identity } });
    for (const participant of backend.store.listParticipants(conversation.sid)) {
      if (participant.identity !== identity) backend.hub.sendTo(participant.identity, frame);
    }
    return null;
  },
};
