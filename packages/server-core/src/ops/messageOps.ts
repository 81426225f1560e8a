import type { MessageUpdateReason } from '@rx-conversations/protocol';
import { toMessage, type MessageRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { OpHandlers } from './OpContext.js';

const DEFAULT_MESSAGES_PAGE = 30;

/**
 * Message operations (SRV-3). A message is stored once and its event appended once to the
 * conversation's stream: the cost of a send does not depend on the member count (CORE-2, PERF-9).
 */
export const messageOps: OpHandlers<'messages.list' | 'messages.send' | 'messages.update' | 'messages.remove'> = {
  *'messages.list'({ core, identity }, args) {
    const pageSize = args.pageSize ?? DEFAULT_MESSAGES_PAGE;
    const { value, asOfSeq } = yield* core.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireParticipant(tx, conversation, identity);
      if (args.direction === 'forwards') {
        const rows = yield* tx.messagesAfter(conversation.sid, args.anchor ?? -1, pageSize + 1);
        return { items: rows.slice(0, pageSize).map(toMessage), hasMore: rows.length > pageSize };
      }
      const rows = yield* tx.messagesBefore(conversation.sid, args.anchor ?? Number.MAX_SAFE_INTEGER, pageSize + 1);
      return { items: rows.slice(0, pageSize).reverse().map(toMessage), hasMore: rows.length > pageSize };
    });
    return { ...value, asOfSeq };
  },

  *'messages.send'({ core, identity }, args) {
    return yield* core.write(identity, 'messages.send', args, function* (batch) {
      const { tx } = batch;
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireParticipant(tx, conversation, identity);
      const row: MessageRow = {
        conversation_sid: conversation.sid,
        idx: (conversation.last_message_index ?? -1) + 1,
        sid: core.newSid('IM'),
        author: identity,
        body: args.body ?? null,
        attributes: JSON.stringify(args.attributes ?? {}),
        created_at: batch.now,
        updated_at: batch.now,
        version: 1,
        removed: 0,
        idempotency_key: args.idempotencyKey ?? null,
      };
      yield* tx.insertMessage(row);
      const updated = {
        ...conversation,
        last_message_index: row.idx,
        last_message_at: batch.now,
        messages_count: conversation.messages_count + 1,
        version: conversation.version + 1,
      };
      yield* tx.updateConversation(updated);
      const message = toMessage(row);
      // No conversationUpdated: clients derive lastMessage*, messagesCount and unread from messageAdded.
      yield* batch.emit({ conversation: conversation.sid }, 'messageAdded', { message });
      batch.afterCommit(function* () {
        core.pushNewMessage(updated, message);
      });
      return message;
    });
  },

  *'messages.update'({ core, identity }, args) {
    return yield* core.write(identity, 'messages.update', args, function* (batch) {
      const { tx } = batch;
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireParticipant(tx, conversation, identity);
      const row = yield* tx.getMessage(conversation.sid, args.index);
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
      yield* tx.updateMessage(next);
      const message = toMessage(next);
      yield* batch.emit({ conversation: conversation.sid }, 'messageUpdated', { message, updateReasons: reasons });
      return message;
    });
  },

  *'messages.remove'({ core, identity }, args) {
    return yield* core.write(identity, 'messages.remove', args, function* (batch) {
      const { tx } = batch;
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      const row = yield* tx.getMessage(conversation.sid, args.index);
      if (row === undefined || row.removed === 1) throw serverError('message_not_found', 'no message at this index', { path: 'args.index' });
      if (row.author !== identity && caller.role !== 'admin') throw serverError('not_author', 'only the author or an admin may remove a message');
      // The row stays as a tombstone so the index is never reused; its content goes.
      const next: MessageRow = { ...row, body: null, attributes: '{}', removed: 1, version: row.version + 1, updated_at: batch.now };
      yield* tx.updateMessage(next);
      yield* tx.updateConversation({ ...conversation, messages_count: conversation.messages_count - 1, version: conversation.version + 1 });
      yield* batch.emit({ conversation: conversation.sid }, 'messageRemoved', {
        conversationSid: conversation.sid,
        sid: row.sid,
        index: row.idx,
        version: next.version,
        author: row.author,
      });
      return { index: row.idx };
    });
  },
};
