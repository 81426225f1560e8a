import { LIMITS, type JsonValue, type Message, type MessageUpdateReason, type ReactionSummary } from '@rx-conversations/protocol';
import type { Core, WriteBatch } from '../Core.js';
import { changedAttributes, toMedia, toMessage, type ConversationRow, type MessageRow, type ParticipantRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import { done, type Step } from '../Step.js';
import type { StoreTx } from '../Store.js';
import type { OpHandlers } from './OpContext.js';
import { messageChanges } from '../preHooks.js';
import { messageFields, removedAt } from '../webhookEvents.js';
import type { Permission } from '../roles.js';
import { nextDeadline, requireOpen, withTimersFrom } from '../conversationState.js';
import { announceChange } from './conversationOps.js';

const DEFAULT_MESSAGES_PAGE = 30;

/**
 * Message operations (SRV-3). A message is stored once and its event appended once to the
 * conversation's stream: the cost of a send does not depend on the member count (CORE-2, PERF-9).
 */
export const messageOps: OpHandlers<
  'messages.list' | 'messages.send' | 'messages.update' | 'messages.remove' | 'messages.react' | 'messages.unreact' | 'messages.thread'
> = {
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
    return { ...value, ...(yield* myReactions(core, identity, value.items)), asOfSeq };
  },

  *'messages.thread'({ core, identity }, args) {
    const pageSize = args.pageSize ?? DEFAULT_MESSAGES_PAGE;
    const { value, asOfSeq } = yield* core.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireParticipant(tx, conversation, identity);
      yield* liveMessage(tx, conversation.sid, args.index);
      if (args.direction === 'forwards') {
        const rows = yield* tx.repliesAfter(conversation.sid, args.index, args.anchor ?? -1, pageSize + 1);
        return { items: rows.slice(0, pageSize).map(toMessage), hasMore: rows.length > pageSize };
      }
      const rows = yield* tx.repliesBefore(conversation.sid, args.index, args.anchor ?? Number.MAX_SAFE_INTEGER, pageSize + 1);
      return { items: rows.slice(0, pageSize).reverse().map(toMessage), hasMore: rows.length > pageSize };
    });
    return { ...value, ...(yield* myReactions(core, identity, value.items)), asOfSeq };
  },

  *'messages.react'({ core, identity }, args) {
    return yield* core.write(identity, 'messages.react', args, function* (batch) {
      return toMessage(yield* react(core, batch, identity, args, true));
    });
  },

  *'messages.unreact'({ core, identity }, args) {
    return yield* core.write(identity, 'messages.unreact', args, function* (batch) {
      return toMessage(yield* react(core, batch, identity, args, false));
    });
  },

  *'messages.send'({ core, identity }, args) {
    const asked = yield* core.preEvent('onMessageAdd', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.authorize(tx, conversation, identity, sendPermission(args));
      requireOpen(conversation);
      return { ConversationSid: conversation.sid, Body: args.body ?? '', Author: identity, ParticipantSid: caller.sid, Attributes: JSON.stringify(args.attributes ?? {}) };
    });
    const changed = messageChanges(asked, 'onMessageAdd');
    return yield* core.write(identity, 'messages.send', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      const participant = yield* core.authorize(batch.tx, conversation, identity, sendPermission(args));
      return toMessage(yield* postMessage(core, batch, conversation, { ...args, author: identity, ...changed, participant }));
    });
  },

  *'messages.update'({ core, identity }, args) {
    const editable = function* (tx: StoreTx): Step<{ conversation: ConversationRow; row: MessageRow }> {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      const row = yield* liveMessage(tx, conversation.sid, args.index);
      requireOpen(conversation);
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
      return toMessage(yield* editMessage(batch, (yield* editable(batch.tx)).row, { ...args, ...changed }, identity));
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

/**
 * Hands a new message to the app's bridge once per non-chat recipient (PARITY-2), in the message's own
 * transaction: the outbox delivers it at least once, signed like every webhook. The author, when bridged
 * (an inbound message), does not get their own message back.
 */
function* bridgeMessage(url: string, batch: WriteBatch, row: MessageRow): Step<void> {
  const recipients = yield* batch.tx.bridgedParticipants(row.conversation_sid);
  if (recipients.length === 0) return;
  const fields = yield* messageWebhookFields(batch.tx, row);
  for (const recipient of recipients) {
    if (recipient.identity === row.author) continue;
    const binding = JSON.parse(recipient.binding!) as { address: string; proxyAddress: string | null; projectedAddress: string | null };
    yield* batch.deliver(url, {
      EventType: 'onMessageForBinding',
      ...fields,
      RecipientParticipantSid: recipient.sid,
      RecipientType: recipient.type,
      'MessagingBinding.Address': binding.address,
      'MessagingBinding.ProxyAddress': binding.proxyAddress ?? '',
      'MessagingBinding.ProjectedAddress': binding.projectedAddress ?? '',
    });
  }
}

/** How many identities a reaction summary names: enough for "Ann, Bob and 12 others". */
const SUMMARY_IDENTITIES = 3;

/**
 * Adds or takes back the caller's reaction (PARITY-3). Needs `reactToMessage`, not authorship. The
 * message keeps one summary per emoji, updated in place: the count moves by one and the first few
 * identities are read from an index, so a reaction costs the same whatever the number of reactors.
 * Every member gets `messageUpdated` with the new summaries and whose reaction changed; concurrent
 * reactions serialise in the store and every client converges on the newest version.
 */
function* react(core: Core, batch: WriteBatch, identity: string, args: { sid: string; index: number; emoji: string }, add: boolean): Step<MessageRow> {
  const { tx } = batch;
  const conversation = yield* core.findConversation(tx, { sid: args.sid });
  yield* core.authorize(tx, conversation, identity, 'reactToMessage');
  requireOpen(conversation);
  const row = yield* liveMessage(tx, conversation.sid, args.index);
  const summaries = row.reactions === null ? [] : (JSON.parse(row.reactions) as ReactionSummary[]);
  const at = summaries.findIndex((s) => s.emoji === args.emoji);
  if (add && at === -1 && summaries.length >= LIMITS.maxReactionsPerMessage) {
    throw serverError('reaction_limit', `a message takes at most ${LIMITS.maxReactionsPerMessage} different reactions`, { limit: LIMITS.maxReactionsPerMessage });
  }
  const changed = add ? yield* tx.addReaction(conversation.sid, row.idx, args.emoji, identity, batch.now) : yield* tx.removeReaction(conversation.sid, row.idx, args.emoji, identity);
  if (!changed) return row;
  const count = (at === -1 ? 0 : summaries[at]!.count) + (add ? 1 : -1);
  const summary: ReactionSummary = { emoji: args.emoji, count, identities: yield* tx.firstReactors(conversation.sid, row.idx, args.emoji, SUMMARY_IDENTITIES) };
  const next = [...summaries];
  if (count === 0) next.splice(at, 1);
  else if (at === -1) next.push(summary);
  else next[at] = summary;
  const updated: MessageRow = { ...row, reactions: next.length === 0 ? null : JSON.stringify(next), version: row.version + 1 };
  yield* tx.updateMessage(updated);
  yield* batch.emit({ conversation: conversation.sid }, 'messageUpdated', {
    message: toMessage(updated),
    updateReasons: ['reactions'],
    reaction: { emoji: args.emoji, identity, added: add },
  });
  return updated;
}

/** The caller's own reactions on a page of messages, as `MessagesPage.myReactions` (empty: nothing). */
function* myReactions(core: Core, identity: string, items: readonly Message[]): Step<{ myReactions?: Record<number, string[]> }> {
  const reacted = items.filter((m) => m.reactions !== undefined);
  if (reacted.length === 0) return {};
  const first = reacted[0]!;
  const rows = yield* core.store.read((tx) => tx.reactionsBy(first.conversationSid, identity, first.index, reacted[reacted.length - 1]!.index));
  if (rows.length === 0) return {};
  const mine: Record<number, string[]> = {};
  for (const { idx, emoji } of rows) (mine[idx] ??= []).push(emoji);
  return { myReactions: mine };
}

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
  /** The index of a live message of the conversation this one replies to (PARITY-3). */
  readonly replyTo?: number | undefined;
  /** The author's participant row when the caller already read it (SDK sends); else it is looked up. */
  readonly participant?: ParticipantRow | undefined;
}

/**
 * Appends a message at the conversation's next index: stored once, one `messageAdded` on the
 * conversation's stream, push after commit. The one path for SDK sends and the admin API (ADMIN-2).
 */
export function* postMessage(core: Core, batch: WriteBatch, conversation: ConversationRow, message: NewMessage): Step<MessageRow> {
  requireOpen(conversation);
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
    participant_sid: (message.participant ?? (yield* batch.tx.getParticipant(conversation.sid, message.author)))?.sid ?? null,
    last_updated_by: null,
    reply_to: message.replyTo ?? null,
    reactions: null,
  };
  if (message.replyTo !== undefined) {
    const parent = yield* batch.tx.getMessage(conversation.sid, message.replyTo);
    if (parent === undefined || parent.removed === 1) throw serverError('message_not_found', 'no message at the index this replies to', { path: 'args.replyTo' });
  }
  yield* batch.tx.insertMessage(row);
  // A message wakes an inactive conversation, and starts its timers again (PARITY-1).
  const woken = conversation.state === 'inactive';
  let updated: ConversationRow = {
    ...conversation,
    last_message_index: row.idx,
    last_message_at: batch.now,
    messages_count: conversation.messages_count + 1,
    version: conversation.version + 1,
    ...(woken ? { state: 'active' as const, state_updated_at: batch.now } : {}),
  };
  if (updated.timer_inactive_ms !== null || updated.timer_closed_ms !== null) {
    updated = withTimersFrom(updated, batch.now);
    batch.deadline(nextDeadline(updated));
  }
  yield* batch.tx.updateConversation(updated);
  const added = toMessage(row);
  // No conversationUpdated: clients derive lastMessage*, messagesCount and unread from messageAdded.
  yield* batch.emit({ conversation: conversation.sid }, 'messageAdded', { message: added });
  if (woken) {
    const shown = { ...updated, version: updated.version + 1, updated_at: batch.now };
    yield* announceChange(batch, conversation, shown, ['state'], 'Message');
    updated = shown;
  }
  yield* batch.webhook('onMessageAdded', conversation.sid, () => messageWebhookFields(batch.tx, row));
  if (core.bridgeUrl !== undefined) yield* bridgeMessage(core.bridgeUrl, batch, row);
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
  editor: string,
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
  if (row.last_updated_by !== editor) reasons.push('lastUpdatedBy');
  reasons.push('dateUpdated');
  next.version += 1;
  next.updated_at = batch.now;
  next.last_updated_by = editor;
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
  requireOpen(conversation);
  const next: MessageRow = { ...row, body: null, attributes: '{}', media: null, reactions: null, removed: 1, version: row.version + 1, updated_at: batch.now };
  yield* batch.tx.updateMessage(next);
  if (row.reactions !== null) yield* batch.tx.deleteReactions(row.conversation_sid, row.idx);
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
function messageWebhookFields(_tx: StoreTx, row: MessageRow): Step<Record<string, string>> {
  return done(messageFields(row, row.participant_sid));
}
