import type { MessageUpdateReason } from '@rx-conversations/protocol';
import { newSid } from '../newSid.js';
import { toMessage, type MessageRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { OpHandlers } from './OpContext.js';

const DEFAULT_MESSAGES_PAGE = 30;

/** Message operations (SRV-3). */
export const messageOps: OpHandlers<'messages.list' | 'messages.send' | 'messages.update' | 'messages.remove'> = {
  'messages.list': ({ backend, identity }, args) => {
    const pageSize = args.pageSize ?? DEFAULT_MESSAGES_PAGE;
    const { value, asOfSeq } = backend.read(identity, () => {
      const conversation = backend.findConversation({ sid: args.sid });
      backend.requireParticipant(conversation, identity);
      const { store } = backend;
      if (args.direction === 'forwards') {
        const rows = store.messagesAfter(conversation.sid, args.anchor ?? -1, pageSize + 1);
        return { items: rows.slice(0, pageSize).map(toMessage), hasMore: rows.length > pageSize };
      }
      const rows = store.messagesBefore(conversation.sid, args.anchor ?? Number.MAX_SAFE_INTEGER, pageSize + 1);
      return { items: rows.slice(0, pageSize).reverse().map(toMessage), hasMore: rows.length > pageSize };
    });
    return { ...value, asOfSeq };
  },

  'messages.send': ({ backend, identity }, args) =>
    backend.write(identity, 'messages.send', args, (batch) => {
      const { store } = backend;
      const conversation = backend.findConversation({ sid: args.sid });
      backend.requireParticipant(conversation, identity);
      const row: MessageRow = {
        conversation_sid: conversation.sid,
        idx: (conversation.last_message_index ?? -1) + 1,
        sid: newSid('IM'),
        author: identity,
        body: args.body ?? null,
        attributes: JSON.stringify(args.attributes ?? {}),
        created_at: batch.now,
        updated_at: batch.now,
        version: 1,
        removed: 0,
        idempotency_key: args.idempotencyKey,
      };
      store.insertMessage(row);
      const updated = {
        ...conversation,
        last_message_index: row.idx,
        last_message_at: batch.now,
        messages_count: conversation.messages_count + 1,
        version: conversation.version + 1,
      };
      store.updateConversation(updated);
      const message = toMessage(row);
      // No conversationUpdated: clients derive lastMessage*, messagesCount and unread from messageAdded.
      batch.emit(store.listParticipants(conversation.sid).map((p) => p.identity), 'messageAdded', { message });
      batch.afterCommit(() => backend.pushNewMessage(updated, message));
      return message;
    }),

  'messages.update': ({ backend, identity }, args) =>
    backend.write(identity, 'messages.update', args, (batch) => {
      const { store } = backend;
      const conversation = backend.findConversation({ sid: args.sid });
      backend.requireParticipant(conversation, identity);
      const row = store.getMessage(conversation.sid, args.index);
      if (row === undefined || row.removed === 1) throw serverError('message_not_found', 'no message at this index', { path: 'args.index' });
      if (row.author !== identity) throw serverError('not_author', 'only the author may edit a message');
      const next: MessageRow = { ...row };
      const reasons: MessageUpdateReason[] = [];
      if (args.body !== undefined && args.body !== row.body) {
        next.body = args.body;
        reasons.push('body');
      }
      const attributes = args.attributes === undefined ? undefined : JSON.stringify(args.attributes);
      if (attributes !== undefined && attributes !== row.attributes) {
        next.attributes = attributes;
        reasons.push('attributes');
      }
      if (reasons.length === 0) return toMessage(row);
      next.version += 1;
      next.updated_at = batch.now;
      store.updateMessage(next);
      const message = toMessage(next);
      batch.emit(store.listParticipants(conversation.sid).map((p) => p.identity), 'messageUpdated', { message, updateReasons: reasons });
      return message;
    }),

  'messages.remove': ({ backend, identity }, args) =>
    backend.write(identity, 'messages.remove', args, (batch) => {
      const { store } = backend;
      const conversation = backend.findConversation({ sid: args.sid });
      const caller = backend.requireParticipant(conversation, identity);
      const row = store.getMessage(conversation.sid, args.index);
      if (row === undefined || row.removed === 1) throw serverError('message_not_found', 'no message at this index', { path: 'args.index' });
      if (row.author !== identity && caller.role !== 'admin') throw serverError('not_author', 'only the author or an admin may remove a message');
      // The row stays as a tombstone so the index is never reused; its content goes.
      const next: MessageRow = { ...row, body: null, attributes: '{}', removed: 1, version: row.version + 1, updated_at: batch.now };
      store.updateMessage(next);
      store.updateConversation({ ...conversation, messages_count: conversation.messages_count - 1, version: conversation.version + 1 });
      batch.emit(store.listParticipants(conversation.sid).map((p) => p.identity), 'messageRemoved', {
        conversationSid: conversation.sid,
        sid: row.sid,
        index: row.idx,
        version: next.version,
        author: row.author,
      });
      return { index: row.idx };
    }),
};
