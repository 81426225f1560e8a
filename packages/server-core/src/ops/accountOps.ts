import type { JsonValue, MessagingBinding, OpName } from '@rx-conversations/protocol';
import type { Core, WriteBatch } from '../Core.js';
import type { ConversationRow, MessageRow, ParticipantRow, UserRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import { done, type Step } from '../Step.js';
import { userFields } from '../webhookEvents.js';
import type { StoreTx } from '../Store.js';
import {
  addParticipant,
  conversationAdded,
  deleteConversation,
  editConversation,
  moveReadHorizon,
  newConversation,
  type NewConversation,
  removeParticipant,
  setNotificationLevel,
  type ConversationChanges,
} from './conversationOps.js';
import { editMessage, postMessage, removeMessage } from './messageOps.js';
import { editParticipant } from './participantOps.js';
import { nextDeadline, requireOpen } from '../conversationState.js';
import { permissionsOfType, ROLE_DEFAULT_KEYS, type Role, type RoleDefaults, type RoleRow, type RoleType } from '../roles.js';
import { editUser, type UserChanges } from './userOps.js';

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

/** A user by sid or identity. */
export function* findUserById(tx: StoreTx, id: string): Step<UserRow> {
  const row = (yield* tx.getUserBySid(id)) ?? (yield* tx.getUser(id));
  if (row === undefined) throw serverError('user_not_found', 'no user has this sid or identity');
  return row;
}

/** A message of the conversation by sid; removed messages are gone. */
export function* findMessageById(tx: StoreTx, conversation: ConversationRow, sid: string): Step<MessageRow> {
  const row = yield* tx.getMessageBySid(conversation.sid, sid);
  if (row === undefined || row.removed === 1) throw serverError('message_not_found', 'no message has this sid in this conversation');
  return row;
}

/** Who acts with account authority: the core, and what the request asked for. */
export interface AccountCaller {
  readonly core: Core;
  /** `X-Twilio-Webhook-Enabled: true`: REST actions fire post-event webhooks only when asked (no loops). */
  readonly webhooks: boolean;
  /**
   * `I-Twilio-Idempotency-Token`: the same token with the same arguments returns the first result and
   * changes nothing more; with other arguments it is `idempotency_key_conflict`.
   */
  readonly idempotencyKey?: string | undefined;
}

/**
 * The idempotency keys of REST writes live apart from every user's: an identity cannot hold a control
 * character (and PostgreSQL text cannot hold a NUL, so not that one).
 */
const ACCOUNT_KEYS = '\u001faccount';

/** A write with account authority: `Source: API`, webhooks and idempotency as the caller asked. */
function write<R>(caller: AccountCaller, op: OpName | `roles.${string}`, args: object, body: (batch: WriteBatch) => Step<R>): Step<R> {
  const keyed = caller.idempotencyKey === undefined ? args : { ...args, idempotencyKey: caller.idempotencyKey };
  return caller.core.write(ACCOUNT_KEYS, op, keyed, body, { source: 'API', webhooks: caller.webhooks });
}

/** Fields of a conversation created with account authority. */
export type AccountConversation = NewConversation;

/**
 * Writes with account authority (ADMIN-1, ADMIN-2): what the app's backend does through the REST API.
 * No participant or role check applies, but every change goes through the same steps as the SDK's ops
 * and emits the same events, so connected clients see it live and resumes replay it.
 *
 * @example
 * const row = yield* accountOps.createConversation({ core, webhooks: false }, { friendlyName: 'Support' });
 */
export const accountOps = {
  *createConversation(caller: AccountCaller, fields: AccountConversation): Step<ConversationRow> {
    return yield* write(caller, 'conversations.create', { fields }, function* (batch) {
      if (fields.uniqueName != null && (yield* batch.tx.getConversationByUniqueName(fields.uniqueName)) !== undefined) {
        throw serverError('unique_name_taken', 'another conversation already has this unique name', { path: 'UniqueName' });
      }
      // No members yet, so no event: whoever is added later gets conversationAdded.
      const row = newConversation(caller.core.newSid('CH'), ACCOUNT_AUTHOR, batch.now, 1, fields);
      yield* batch.tx.insertConversation(row);
      batch.deadline(nextDeadline(row));
      yield* conversationAdded(batch, row);
      return row;
    });
  },

  *updateConversation(caller: AccountCaller, id: string, changes: ConversationChanges): Step<ConversationRow> {
    return yield* write(caller, 'conversations.update', { id, changes }, function* (batch) {
      return yield* editConversation(batch, yield* findConversationById(batch.tx, id), changes);
    });
  },

  *deleteConversation(caller: AccountCaller, id: string): Step<void> {
    yield* write(caller, 'conversations.delete', { id }, function* (batch) {
      yield* deleteConversation(caller.core, batch, yield* findConversationById(batch.tx, id));
    });
  },

  *addParticipant(
    caller: AccountCaller,
    conversationId: string,
    fields:
      | { readonly identity: string; readonly roleSid?: string | undefined; readonly attributes?: JsonValue | undefined }
      | { readonly messagingBinding: BindingFields; readonly roleSid?: string | undefined; readonly attributes?: JsonValue | undefined },
  ): Step<ParticipantRow> {
    return yield* write(caller, 'participants.add', { conversationId, fields }, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      if (fields.roleSid !== undefined) yield* findRole(caller.core, batch.tx, fields.roleSid, 'conversation');
      if ('messagingBinding' in fields) {
        const bridged = bindingOf(fields.messagingBinding);
        if ((yield* batch.tx.getParticipant(conversation.sid, bridged.binding.address)) !== undefined) {
          throw serverError('participant_exists', 'this address is already a participant', { path: 'MessagingBinding.Address' });
        }
        return (yield* addParticipant(caller.core, batch, conversation, bridged, fields.roleSid, fields.attributes)).participant;
      }
      if ((yield* batch.tx.getParticipant(conversation.sid, fields.identity)) !== undefined) {
        throw serverError('participant_exists', 'this identity is already a participant', { path: 'Identity' });
      }
      return (yield* addParticipant(caller.core, batch, conversation, fields.identity, fields.roleSid, fields.attributes)).participant;
    });
  },

  *updateParticipant(
    caller: AccountCaller,
    conversationId: string,
    participantId: string,
    changes: {
      readonly roleSid?: string | undefined;
      readonly attributes?: JsonValue | undefined;
      readonly lastReadMessageIndex?: number | null | undefined;
    },
  ): Step<ParticipantRow> {
    const { core } = caller;
    return yield* write(caller, 'participants.update', { conversationId, participantId, changes }, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      if (changes.roleSid !== undefined) yield* findRole(core, batch.tx, changes.roleSid, 'conversation');
      const target = yield* findParticipantById(batch.tx, conversation, participantId);
      let participant = yield* editParticipant(core, batch, conversation, target, { role: changes.roleSid, attributes: changes.attributes });
      if (changes.lastReadMessageIndex !== undefined) {
        const fresh = (yield* batch.tx.getConversation(conversation.sid))!;
        participant = (yield* moveReadHorizon(core, batch, fresh, participant, changes.lastReadMessageIndex, 'set'))?.participant ?? participant;
      }
      return participant;
    });
  },

  /** A user's own settings in one conversation (Twilio's UserConversation): notification level and read horizon. */
  *updateMembership(
    caller: AccountCaller,
    userId: string,
    conversationId: string,
    changes: { readonly notificationLevel?: ParticipantRow['notification_level'] | undefined; readonly lastReadMessageIndex?: number | null | undefined },
  ): Step<{ conversation: ConversationRow; participant: ParticipantRow; user: UserRow }> {
    const { core } = caller;
    return yield* write(caller, 'conversations.setNotificationLevel', { userId, conversationId, changes }, function* (batch) {
      const user = yield* findUserById(batch.tx, userId);
      let conversation = yield* findConversationById(batch.tx, conversationId);
      let participant = yield* batch.tx.getParticipant(conversation.sid, user.identity);
      if (participant === undefined) throw serverError('participant_not_found', 'the user is not a participant of this conversation');
      if (changes.notificationLevel !== undefined) {
        participant = (yield* setNotificationLevel(core, batch, conversation, participant, changes.notificationLevel))?.participant ?? participant;
      }
      if (changes.lastReadMessageIndex !== undefined) {
        conversation = (yield* batch.tx.getConversation(conversation.sid))!;
        participant = (yield* moveReadHorizon(core, batch, conversation, participant, changes.lastReadMessageIndex, 'set'))?.participant ?? participant;
      }
      return { conversation: (yield* batch.tx.getConversation(conversation.sid))!, participant, user };
    });
  },

  *removeParticipant(caller: AccountCaller, conversationId: string, participantId: string): Step<void> {
    yield* write(caller, 'participants.remove', { conversationId, participantId }, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      yield* removeParticipant(batch, conversation, yield* findParticipantById(batch.tx, conversation, participantId), 'removed');
    });
  },

  /** Posts as any author: `system` by default, or a user's identity whether or not they participate. */
  *postMessage(
    caller: AccountCaller,
    conversationId: string,
    fields: { readonly author?: string | undefined; readonly body?: string | null | undefined; readonly attributes?: JsonValue | undefined },
  ): Step<MessageRow> {
    return yield* write(caller, 'messages.send', { conversationId, fields }, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      return yield* postMessage(caller.core, batch, conversation, { ...fields, author: fields.author ?? ACCOUNT_AUTHOR });
    });
  },

  *updateMessage(
    caller: AccountCaller,
    conversationId: string,
    messageSid: string,
    changes: { readonly body?: string | null | undefined; readonly attributes?: JsonValue | undefined },
  ): Step<MessageRow> {
    return yield* write(caller, 'messages.update', { conversationId, messageSid, changes }, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      requireOpen(conversation);
      return yield* editMessage(batch, yield* findMessageById(batch.tx, conversation, messageSid), changes, ACCOUNT_AUTHOR);
    });
  },

  *removeMessage(caller: AccountCaller, conversationId: string, messageSid: string): Step<void> {
    yield* write(caller, 'messages.remove', { conversationId, messageSid }, function* (batch) {
      const conversation = yield* findConversationById(batch.tx, conversationId);
      yield* removeMessage(caller.core, batch, conversation, yield* findMessageById(batch.tx, conversation, messageSid));
    });
  },

  /** Creates a user before they ever connect. An identity that exists is left as it is: `created` is false. */
  *createUser(caller: AccountCaller, identity: string, changes: UserChanges): Step<{ user: UserRow; created: boolean }> {
    const { core } = caller;
    return yield* write(caller, 'users.updateMe', { identity, changes }, function* (batch) {
      const existing = yield* batch.tx.getUser(identity);
      if (existing !== undefined) return { user: existing, created: false };
      if (changes.roleSid !== undefined) yield* findRole(core, batch.tx, changes.roleSid, 'service');
      const row = yield* batch.tx.ensureUser(identity, batch.now, core.newSid('US'));
      const user = yield* editUser(core, batch, row, changes);
      yield* batch.webhook('onUserAdded', null, () => done(userFields(user)));
      return { user, created: true };
    });
  },

  *updateUser(caller: AccountCaller, id: string, changes: UserChanges): Step<UserRow> {
    return yield* write(caller, 'users.updateMe', { id, changes }, function* (batch) {
      if (changes.roleSid !== undefined) yield* findRole(caller.core, batch.tx, changes.roleSid, 'service');
      return yield* editUser(caller.core, batch, yield* findUserById(batch.tx, id), changes);
    });
  },

  /** A custom role (ADMIN-4). Every permission must be one a role of its type may hold. */
  *createRole(caller: AccountCaller, fields: { readonly friendlyName: string; readonly type: RoleType; readonly permissions: readonly string[] }): Step<Role> {
    const { core } = caller;
    const row = yield* write(caller, 'roles.create', { fields }, function* (batch) {
      const role: RoleRow = {
        sid: core.newSid('RL'),
        friendly_name: fields.friendlyName,
        type: fields.type,
        permissions: JSON.stringify(checkedPermissions(fields.type, fields.permissions)),
        created_at: batch.now,
        updated_at: batch.now,
      };
      yield* batch.tx.putRole(role);
      return role;
    });
    core.accessChanged();
    return yield* roleAsStored(core, row.sid);
  },

  /** Replaces a role's permissions (Twilio's update). A default role may be changed too, never deleted. */
  *updateRole(caller: AccountCaller, sid: string, permissions: readonly string[]): Step<Role> {
    const { core } = caller;
    yield* write(caller, 'roles.update', { sid, permissions }, function* (batch) {
      const role = yield* findRole(core, batch.tx, sid);
      yield* batch.tx.putRole({
        sid,
        friendly_name: role.friendlyName,
        type: role.type,
        permissions: JSON.stringify(checkedPermissions(role.type, permissions)),
        created_at: role.createdAt ?? batch.now,
        updated_at: batch.now,
      });
      return null;
    });
    core.accessChanged();
    return yield* roleAsStored(core, sid);
  },

  /** Deletes a custom role that nobody holds and no default names. */
  *deleteRole(caller: AccountCaller, sid: string): Step<void> {
    const { core } = caller;
    yield* write(caller, 'roles.delete', { sid }, function* (batch) {
      const role = yield* findRole(core, batch.tx, sid);
      const rules = yield* core.accessRules(batch.tx);
      if (role.isDefault) throw serverError('invalid_argument', 'a default role cannot be deleted (change its permissions instead)', { path: 'RoleSid' });
      if (Object.values(rules.defaults).includes(sid)) throw serverError('invalid_argument', "the service's configuration names this role as a default", { path: 'RoleSid' });
      const holders = yield* batch.tx.countRoleHolders(sid);
      if (holders > 0) throw serverError('invalid_argument', `${holders} participants or users hold this role`, { path: 'RoleSid' });
      yield* batch.tx.deleteRole(sid);
      return null;
    });
    core.accessChanged();
  },

  /** Changes which roles new participants, creators and users get (the service's Configuration). */
  *updateRoleDefaults(caller: AccountCaller, changes: Partial<RoleDefaults>): Step<RoleDefaults> {
    const { core } = caller;
    yield* write(caller, 'roles.defaults', { changes }, function* (batch) {
      for (const key of Object.keys(ROLE_DEFAULT_KEYS) as Array<keyof RoleDefaults>) {
        const sid = changes[key];
        if (sid === undefined) continue;
        yield* findRole(core, batch.tx, sid, key === 'service' ? 'service' : 'conversation');
        yield* batch.tx.putSetting(ROLE_DEFAULT_KEYS[key], sid);
      }
      return null;
    });
    core.accessChanged();
    return (yield* core.store.read((tx) => core.accessRules(tx))).defaults;
  },
};

/** A non-chat participant's binding as the REST API takes it (PARITY-2). */
export interface BindingFields {
  readonly address: string;
  readonly proxyAddress?: string | undefined;
  readonly projectedAddress?: string | undefined;
}

/**
 * The kind of a binding, from its address as Twilio writes them: `whatsapp:+1…` is WhatsApp, an address
 * with `@` is email, any other is SMS. SMS and WhatsApp need the app's `proxyAddress` (or, for group
 * texts, a `projectedAddress`) to send from.
 */
function bindingOf(fields: BindingFields): { type: 'sms' | 'whatsapp' | 'email'; binding: MessagingBinding } {
  const address = fields.address.trim();
  if (address === '' || address.length > 256) throw serverError('invalid_argument', 'the address must be 1 to 256 characters', { path: 'MessagingBinding.Address' });
  const type = address.startsWith('whatsapp:') ? 'whatsapp' : address.includes('@') ? 'email' : 'sms';
  const proxyAddress = fields.proxyAddress?.trim() || null;
  const projectedAddress = fields.projectedAddress?.trim() || null;
  if (type !== 'email' && proxyAddress === null && projectedAddress === null) {
    throw serverError('invalid_argument', `a ${type} participant needs the ProxyAddress (or ProjectedAddress) messages come from`, { path: 'MessagingBinding.ProxyAddress' });
  }
  return { type, binding: { address, proxyAddress, projectedAddress } };
}

/** A role by sid, of `type` when given: `role_not_found` otherwise. */
export function* findRole(core: Core, tx: StoreTx, sid: string, type?: RoleType): Step<Role> {
  const role = (yield* core.accessRules(tx)).roles.get(sid);
  if (role === undefined || (type !== undefined && role.type !== type)) {
    throw serverError('role_not_found', `no ${type ?? ''} role has this sid`.replace('  ', ' '), type === undefined ? undefined : { path: 'RoleSid' });
  }
  return role;
}

function* roleAsStored(core: Core, sid: string): Step<Role> {
  return yield* core.store.read((tx) => findRole(core, tx, sid));
}

/** The permissions, each one a role of `type` may hold, without repeats (else `invalid_argument`). */
function checkedPermissions(type: RoleType, permissions: readonly string[]): string[] {
  const allowed: readonly string[] = permissionsOfType(type);
  const unknown = permissions.find((p) => !allowed.includes(p));
  if (unknown !== undefined) throw serverError('invalid_argument', `${unknown.slice(0, 64)} is not a ${type} permission`, { path: 'Permission' });
  return [...new Set(permissions)];
}
