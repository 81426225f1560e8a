import type { JsonValue, ParticipantRole } from '@rx-conversations/protocol';
import type { Core } from '../Core.js';
import type { ConversationRow, MessageRow, ParticipantRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { Step } from '../Step.js';
import type { StoreTx } from '../Store.js';
import { addParticipant, deleteConversation, editConversation, moveReadHorizon, removeParticipant, type ConversationChanges } from './conversationOps.js';
import { editMessage, postMessage, removeMessage } from './messageOps.js';
import { editParticipant } from './participantOps.js';

/** Who REST-created conversations name as their creator, and the default author of REST messages. */
export const ACCOUNT_AUTHOR = 'system';

/**
 * Finds a conversation by sid or, failing that, unique name (a path segment may be either).
 *
 * @example
 * const row = yield* findConversationById(tx, 'support-42');
 */
export function* findConversationById(tx: StoreTx, id: string): Step<ConversationRow> {
  const row = (yield* tx.getConversation(id)) ?? (yield* tx.getConversationByUniqueName(id));
  if (row === undefined) throw serverError('conversation_not_found', 'no conversation has this sid or unique name');
  return row;
}

/** A participant of the conversation by sid or identity. */
export function* findParticipantById(tx: StoreTx, conversation: ConversationRow, id: string): Step<ParticipantRow> {
  const bySid = yield* tx.getParticipantBySid(id);
  const row = bySid !== undefined && bySid.conversation_sid === conversation.sid ? bySid : yield* tx.getParticipant(conversation.sid, id);
  if (row === undefined) throw serverError('participant_not_found', 'not a participant of this conversation');
  return row;
}

/** A message of the conversation by sid; removed messages are gone. */
export function* findMessageById(tx: StoreTx, conversation: ConversationRow, sid: string): Step<MessageRow> {
  const row = yield* tx.getMessageBySid(conversation.sid, sid);
  if (row === undefined || row.removed === 1) throw serverError('message_not_found', 'no message has this sid in this conversation');
  return row;
}

/** Fields of a conversation created with account authority. */
export interface AccountConversation {
  readonly friendlyName?: string | null | undefined;
  readonly uniqueName?: string | null | undefined;
  readonly attributes?: JsonValue | undefined;
}

/**
 * Writes with account authority (ADMIN-1, ADMIN-2): what the app's backend does through the REST API.
 * No participant or role check applies, but every change goes through the same steps as the SDK's ops
 * and emits the same events, so connected clients see it live and resumes replay it.
 *
 * @example
 * const row = yield* accountOps.createConversation(core, { friendlyName: 'Support' });
 */
export const accountOps = {
  *createConversation(core: Core, fields: AccountConversation): Step<ConversationRow> {
    return yield* core.write(ACCOUNT_AUTHOR, 'conversations.create', {}, function* (batch) {
      if (fields.uniqueName != null && (yield* batch.tx.getConversationByUniqueName(fields.uniqueName)) !== undefined) {
        throw serverError('unique_name_taken', 'another conversation already has this unique name', { path: 'UniqueName' });
      }
      // No members yet, so no event: whoever is added later gets conversationAdded.
      const row: ConversationRow = {
        sid: core.newSid('CH'),
        unique_name: fields.uniqueName ?? null,
        friendly_name: fields.friendlyName ?? null,
        attributes: JSON.stringify(fields.attributes ?? {}),
        created_by: ACCOUNT_AUTHOR,
        created_at: batch.now,
        updated_at: batch.now,
        version: 1,
        last_message_index: null,
        last_message_at: null,
        messages_count: 0,
        participants_count: 0,
      };
      yield* batch.tx.insertConversation(row);
      return row;
    });
  },

  *updateConversation(core: Core, id: string, changes: ConversationChanges): Step<ConversationRow> {
    return yield* core.write(ACCOUNT_AUTHOR, 'conversations.update', {}, function* (batch) {
      return yield* editConversation(batch, yield* findConversationById(batch.tx, id), changes);
    });
  },

  *deleteConversation(core: Core, id: string): Step<void> {
    yield* core.write(ACCOUNT_AUTHOR, 'conversations.delete', {}, function* (batch) {
      yield* deleteConversation(core, batch, yield* findConversationById(batch.tx, id));
    });
  },

  *addParticipant(
    core: Core,
    conversationId: string,
    fields: { readonly identity: string; readonly role?: ParticipantRole | undefined; readonly attributes?: JsonValue | undefined },
  ): Step<ParticipantRow> {
    return yield* core.write(ACCOUNT_AUTHOR, 'participants.add', {}, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      if ((yield* batch.tx.getParticipant(conversation.sid, fields.identity)) !== undefined) {
        throw serverError('participant_exists', 'this identity is already a participant', { path: 'Identity' });
      }
      return (yield* addParticipant(core, batch, conversation, fields.identity, fields.role ?? 'member', fields.attributes)).participant;
    });
  },

  *updateParticipant(
    core: Core,
    conversationId: string,
    participantId: string,
    changes: {
      readonly role?: ParticipantRole | undefined;
      readonly attributes?: JsonValue | undefined;
      readonly lastReadMessageIndex?: number | null | undefined;
    },
  ): Step<ParticipantRow> {
    return yield* core.write(ACCOUNT_AUTHOR, 'participants.update', {}, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      let participant = yield* editParticipant(core, batch, conversation, yield* findParticipantById(batch.tx, conversation, participantId), changes);
      if (changes.lastReadMessageIndex !== undefined) {
        const fresh = (yield* batch.tx.getConversation(conversation.sid))!;
        participant = (yield* moveReadHorizon(core, batch, fresh, participant, changes.lastReadMessageIndex, 'set'))?.participant ?? participant;
      }
      return participant;
    });
  },

  *removeParticipant(core: Core, conversationId: string, participantId: string): Step<void> {
    yield* core.write(ACCOUNT_AUTHOR, 'participants.remove', {}, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      yield* removeParticipant(batch, conversation, yield* findParticipantById(batch.tx, conversation, participantId), 'removed');
    });
  },

  /** Posts as any author: `system` by default, or a user's identity whether or not they participate. */
  *postMessage(
    core: Core,
    conversationId: string,
    fields: { readonly author?: string | undefined; readonly body?: string | null | undefined; readonly attributes?: JsonValue | undefined },
  ): Step<MessageRow> {
    return yield* core.write(ACCOUNT_AUTHOR, 'messages.send', {}, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      return yield* postMessage(core, batch, conversation, { ...fields, author: fields.author ?? ACCOUNT_AUTHOR });
    });
  },

  *updateMessage(
    core: Core,
    conversationId: string,
    messageSid: string,
    changes: { readonly body?: string | null | undefined; readonly attributes?: JsonValue | undefined },
  ): Step<MessageRow> {
    return yield* core.write(ACCOUNT_AUTHOR, 'messages.update', {}, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      return yield* editMessage(batch, yield* findMessageById(batch.tx, conversation, messageSid), changes);
    });
  },

  *removeMessage(core: Core, conversationId: string, messageSid: string): Step<void> {
    yield* core.write(ACCOUNT_AUTHOR, 'messages.remove', {}, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      yield* removeMessage(core, batch, conversation, yield* findMessageById(batch.tx, conversation, messageSid));
    });
  },
};
