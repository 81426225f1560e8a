import type { JsonValue, MessageUpdateReason } from '@rx-conversations/protocol';
import type { Core, WriteBatch } from '../Core.js';
import { changedAttributes, toMedia, toMessage, type ConversationRow, type MessageRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { Step } from '../Step.js';
import type { StoreTx } from '../Store.js';
import type { OpHandlers } from './OpContext.js';
import { messageChanges } from '../preHooks.js';
import { messageFields, removedAt } from '../webhookEvents.js';
import type { Permission } from '../roles.js';

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
    const asked = yield* core.preEvent('onMessageAdd', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.authorize(tx, conversation, identity, sendPermission(args));
      return { ConversationSid: conversation.sid, Body: args.body ?? '', Author: identity, ParticipantSid: caller.sid, Attributes: JSON.stringify(args.attributes ?? {}) };
    });
    const changed = messageChanges(asked, 'onMessageAdd');
    return yield* core.write(identity, 'messages.send', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      yield* core.authorize(batch.tx, conversation, identity, sendPermission(args));
      return toMessage(yield* postMessage(core, batch, conversation, { ...args, author: identity, ...changed }));
    });
  },

  *'messages.update'({ core, identity }, args) {
    const editable = function* (tx: StoreTx): Step<{ conversation: ConversationRow; row: MessageRow }> {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      const row = yield* liveMessage(tx, conversation.sid, args.index);
      const own = row.author === identity;
      const needed: Permission[] = [];
      if (args.body !== undefined) needed.push(own ? 'editOwnMessage' : 'editAnyMessage');
      if (args.attributes !== undefined) needed.push(own ? 'editOwnMessageAttributes' : 'editAnyMessageAttributes');
      yield* core.requirePermissions(tx, identity, caller, needed);
      return { conversation, row };
    };
    const asked = yield* core.preEvent('onMessageUpdate', identity, function* (tx) {
      const { row } = yield* editable(tx);
      return {
        ...messageFields(row, null),
        Body: args.body === undefined ? (row.body ?? '') : (args.body ?? ''),
        Attributes: args.attributes === undefined ? row.attributes : JSON.stringify(args.attributes),
      };
    });
    const { author: _author, ...changed } = messageChanges(asked, 'onMessageUpdate');
    return yield* core.write(identity, 'messages.update', args, function* (batch) {
      return toMessage(yield* editMessage(batch, (yield* editable(batch.tx)).row, { ...args, ...changed }));
    });
  },

  *'messages.remove'({ core, identity }, args) {
    const removable = function* (tx: StoreTx): Step<{ conversation: ConversationRow; row: MessageRow }> {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      const row = yield* liveMessage(tx, conversation.sid, args.index);
      yield* core.requirePermissions(tx, identity, caller, [row.author === identity ? 'deleteOwnMessage' : 'deleteAnyMessage']);
      return { conversation, row };
    };
    yield* core.preEvent('onMessageRemove', identity, function* (tx) {
      return messageFields((yield* removable(tx)).row, null);
    });
    return yield* core.write(identity, 'messages.remove', args, function* (batch) {
      const { conversation, row } = yield* removable(batch.tx);
      yield* removeMessage(core, batch, conversation, row);
      return { index: row.idx };
    });
  },
};

/** A send with attachments needs `sendMediaMessage`, any other `sendMessage`. */
function sendPermission(args: { readonly mediaSids?: readonly string[] | undefined }): Permission {
  return args.mediaSids !== undefined && args.mediaSids.length > 0 ? 'sendMediaMessage' : 'sendMessage';
}

/** The message at `index`, or `message_not_found` when there is none or it was removed. */
export function* liveMessage(tx: StoreTx, conversationSid: string, index: number): Step<MessageRow> {
  const row = yield* tx.getMessage(conversationSid, index);
  if (row === undefined || row.removed === 1) throw serverError('message_not_found', 'no message at this index', { path: 'args.index' });
  return row;
}

/** What a new message holds; the author is whoever the caller's authority allows (SDK: the caller). */
export interface NewMessage {
  readonly author: string;
  readonly body?: string | null | undefined;
  readonly attributes?: JsonValue | undefined;
  readonly idempotencyKey?: string | undefined;
  /** Uploads of the author to this conversation to attach, in order (MEDIA-1). */
  readonly mediaSids?: readonly string[] | undefined;
}

/**
 * Appends a message at the conversation's next index: stored once, one `messageAdded` on the
 * conversation's stream, push after commit. The one path for SDK sends and the admin API (ADMIN-2).
 */
export function* postMessage(core: Core, batch: WriteBatch, conversation: ConversationRow, message: NewMessage): Step<MessageRow> {
  const sid = core.newSid('IM');
  const media = message.mediaSids === undefined || message.mediaSids.length === 0 ? null : yield* attachMedia(batch, conversation, message.author, sid, message.mediaSids);
  const row: MessageRow = {
    conversation_sid: conversation.sid,
    idx: (conversation.last_message_index ?? -1) + 1,
    sid,
    author: message.author,
    body: message.body ?? null,
    attributes: JSON.stringify(message.attributes ?? {}),
    created_at: batch.now,
    updated_at: batch.now,
    version: 1,
    removed: 0,
    idempotency_key: message.idempotencyKey ?? null,
    media: media === null ? null : JSON.stringify(media),
  };
  yield* batch.tx.insertMessage(row);
  const updated = {
    ...conversation,
    last_message_index: row.idx,
    last_message_at: batch.now,
    messages_count: conversation.messages_count + 1,
    version: conversation.version + 1,
  };
  yield* batch.tx.updateConversation(updated);
  const added = toMessage(row);
  // No conversationUpdated: clients derive lastMessage*, messagesCount and unread from messageAdded.
  yield* batch.emit({ conversation: conversation.sid }, 'messageAdded', { message: added });
  yield* batch.webhook('onMessageAdded', conversation.sid, () => messageWebhookFields(batch.tx, row));
  batch.afterCommit(function* () {
    core.pushNewMessage(updated, added);
  });
  return row;
}

/**
 * Attaches uploads to a new message in its own transaction (MEDIA-1): each must exist, be the author's,
 * belong to this conversation and be attached to nothing yet (nor past its grace time), else a precise
 * code names it (`details.path`). Returns the attachments in the order given.
 */
function* attachMedia(batch: WriteBatch, conversation: ConversationRow, author: string, messageSid: string, sids: readonly string[]) {
  const attached = [];
  for (const [i, mediaSid] of sids.entries()) {
    const path = `args.mediaSids.${i}`;
    const row = yield* batch.tx.getMedia(mediaSid);
    if (row === undefined || (row.delete_after !== null && row.delete_after <= batch.now)) {
      throw serverError('media_not_found', 'no media has this sid (or it was deleted)', { path });
    }
    if (row.author !== author) throw serverError('media_not_owned', 'only the uploader may attach this media', { path });
    if (row.conversation_sid !== conversation.sid) throw serverError('media_conversation_mismatch', 'this media was uploaded to another conversation', { path });
    if (row.message_sid !== null) throw serverError('media_already_attached', 'this media is attached to another message', { path });
    yield* batch.tx.attachMedia(mediaSid, messageSid);
    attached.push(toMedia(row));
  }
  return attached;
}

/** Changes a message's body and attributes; `messageUpdated` names what changed (nothing: no event). */
export function* editMessage(
  batch: WriteBatch,
  row: MessageRow,
  changes: { readonly body?: string | null | undefined; readonly attributes?: JsonValue | undefined },
): Step<MessageRow> {
  const next: MessageRow = { ...row };
  const reasons: MessageUpdateReason[] = [];
  if (changes.body !== undefined && changes.body !== row.body) {
    next.body = changes.body;
    reasons.push('body');
  }
  const attributes = changedAttributes(changes.attributes, row.attributes);
  if (attributes !== undefined) {
    next.attributes = attributes;
    reasons.push('attributes');
  }
  if (reasons.length === 0) return row;
  next.version += 1;
  next.updated_at = batch.now;
  yield* batch.tx.updateMessage(next);
  yield* batch.emit({ conversation: row.conversation_sid }, 'messageUpdated', { message: toMessage(next), updateReasons: reasons });
  yield* batch.webhook('onMessageUpdated', row.conversation_sid, () => messageWebhookFields(batch.tx, next));
  return next;
}

/**
 * Removes a message: the row stays as a tombstone so its index is never reused; its content goes, its
 * media too (deleted from storage after commit, MEDIA-4).
 */
export function* removeMessage(core: Core, batch: WriteBatch, conversation: ConversationRow, row: MessageRow): Step<void> {
  const next: MessageRow = { ...row, body: null, attributes: '{}', media: null, removed: 1, version: row.version + 1, updated_at: batch.now };
  yield* batch.tx.updateMessage(next);
  if (row.media !== null) {
    yield* batch.tx.releaseMedia(row.sid, batch.now);
    batch.afterCommit(function* () {
      core.mediaReleased();
    });
  }
  yield* batch.tx.updateConversation({ ...conversation, messages_count: conversation.messages_count - 1, version: conversation.version + 1 });
  yield* batch.emit({ conversation: conversation.sid }, 'messageRemoved', {
    conversationSid: conversation.sid,
    sid: row.sid,
    index: row.idx,
    version: next.version,
    author: row.author,
  });
  yield* batch.webhook('onMessageRemoved', conversation.sid, function* () {
    return { ...(yield* messageWebhookFields(batch.tx, row)), ...removedAt(batch.now) };
  });
}

/** A message's webhook fields, with its author's participant sid. */
function* messageWebhookFields(tx: StoreTx, row: MessageRow): Step<Record<string, string>> {
  return messageFields(row, (yield* tx.getParticipant(row.conversation_sid, row.author))?.sid ?? null);
}
