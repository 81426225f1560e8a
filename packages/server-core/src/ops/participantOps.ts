import type { JsonValue, ParticipantRole, ParticipantUpdateReason } from '@rx-conversations/protocol';
import type { Core, WriteBatch } from '../Core.js';
import { changedAttributes, toParticipant, type ConversationRow, type ParticipantRow } from '../rows.js';
import { done, type Step } from '../Step.js';
import { participantFields } from '../webhookEvents.js';
import { DEFAULT_ROLE_SIDS, type Permission } from '../roles.js';
import { requireOpen } from '../conversationState.js';
import type { StoreTx } from '../Store.js';
import { serverError } from '../ServerError.js';
import { addParticipant, emitMembershipUpdated, removeParticipant } from './conversationOps.js';
import type { OpHandlers } from './OpContext.js';

/** Participant operations (SRV-3), each checked against the caller's roles (ADMIN-4). */
export const participantOps: OpHandlers<'participants.list' | 'participants.add' | 'participants.remove' | 'participants.update'> = {
  *'participants.list'({ core, identity }, args) {
    const { value, asOfSeq } = yield* core.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireParticipant(tx, conversation, identity);
      return (yield* tx.listParticipants(conversation.sid)).map(toParticipant);
    });
    return { items: value, asOfSeq };
  },

  *'participants.add'({ core, identity }, args) {
    const addable = function* (tx: StoreTx): Step<{ conversation: ConversationRow; role: string | undefined }> {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.authorize(tx, conversation, identity, 'addParticipant');
      const role = yield* roleSidOf(core, tx, args);
      if (role !== undefined) yield* requireGrantable(core, tx, identity, caller, role);
      return { conversation, role };
    };
    yield* core.preEvent('onParticipantAdd', identity, function* (tx) {
      const { conversation, role } = yield* addable(tx);
      const roleSid = role ?? (yield* core.accessRules(tx)).defaults.conversation;
      return { ConversationSid: conversation.sid, Identity: args.identity, RoleSid: roleSid, Attributes: JSON.stringify(args.attributes ?? {}) };
    });
    return yield* core.write(identity, 'participants.add', args, function* (batch) {
      const { conversation, role } = yield* addable(batch.tx);
      if ((yield* batch.tx.getParticipant(conversation.sid, args.identity)) !== undefined) {
        throw serverError('participant_exists', 'this identity is already a participant', { path: 'args.identity' });
      }
      const added = yield* addParticipant(core, batch, conversation, args.identity, role, args.attributes);
      return toParticipant(added.participant);
    });
  },

  *'participants.remove'({ core, identity }, args) {
    const removable = function* (tx: StoreTx): Step<{ conversation: ConversationRow; target: ParticipantRow; self: boolean }> {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const self = args.identity === identity;
      const caller = yield* core.authorize(tx, conversation, identity, self ? 'leaveConversation' : 'removeParticipant');
      const target = self ? caller : yield* tx.getParticipant(conversation.sid, args.identity);
      if (target === undefined) throw serverError('participant_not_found', 'not a participant of this conversation', { path: 'args.identity' });
      return { conversation, target, self };
    };
    yield* core.preEvent('onParticipantRemove', identity, function* (tx) {
      return participantFields((yield* removable(tx)).target);
    });
    return yield* core.write(identity, 'participants.remove', args, function* (batch) {
      const { conversation, target, self } = yield* removable(batch.tx);
      yield* removeParticipant(batch, conversation, target, self ? 'left' : 'removed');
      return { identity: args.identity };
    });
  },

  *'participants.update'({ core, identity }, args) {
    return yield* core.write(identity, 'participants.update', args, function* (batch) {
      const { tx } = batch;
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      const target = args.identity === identity ? caller : yield* tx.getParticipant(conversation.sid, args.identity);
      if (target === undefined) throw serverError('participant_not_found', 'not a participant of this conversation', { path: 'args.identity' });
      const own = target === caller;
      const role = yield* roleSidOf(core, tx, args);
      const needed: Permission[] = [];
      if (args.attributes !== undefined) needed.push(own ? 'editOwnParticipantAttributes' : 'editAnyParticipantAttributes');
      // A role is someone else's business: changing one, even one's own, is editing any participant.
      if (role !== undefined && role !== target.role) needed.push('editAnyParticipantAttributes');
      yield* core.requirePermissions(tx, identity, caller, needed);
      if (role !== undefined && role !== target.role) yield* requireGrantable(core, tx, identity, caller, role);
      return toParticipant(yield* editParticipant(core, batch, conversation, target, { attributes: args.attributes, role }));
    });
  },
};

/**
 * The conversation role an op names: `admin` and `member` are the channel admin and channel user
 * roles, `roleSid` any conversation role (else `role_not_found`). Undefined when it names none.
 */
export function* roleSidOf(core: Core, tx: StoreTx, args: { readonly role?: ParticipantRole | undefined; readonly roleSid?: string | undefined }): Step<string | undefined> {
  if (args.role !== undefined) return args.role === 'admin' ? DEFAULT_ROLE_SIDS.channelAdmin : DEFAULT_ROLE_SIDS.channelUser;
  if (args.roleSid === undefined) return undefined;
  const role = (yield* core.accessRules(tx)).roles.get(args.roleSid);
  if (role === undefined || role.type !== 'conversation') throw serverError('role_not_found', 'no conversation role has this sid', { path: 'args.roleSid' });
  return role.sid;
}

/** No one grants more than they hold: giving a role takes every one of its permissions (else `permission_denied`). */
function* requireGrantable(core: Core, tx: StoreTx, identity: string, caller: ParticipantRow, roleSid: string): Step<void> {
  yield* core.requirePermissions(tx, identity, caller, [...(yield* core.accessRules(tx)).permissionsOf(roleSid)] as Permission[]);
}

/** What a participant update may change; absent fields stay. */
export interface ParticipantChanges {
  /** The sid of the new conversation role. */
  readonly role?: string | undefined;
  readonly attributes?: JsonValue | undefined;
}

/**
 * Changes a participant's role and attributes: `participantUpdated` on the conversation's stream, and
 * a role change also in the participant's own view of the conversation. Unchanged: no event.
 */
export function* editParticipant(
  core: Core,
  batch: WriteBatch,
  conversation: ConversationRow,
  target: ParticipantRow,
  changes: ParticipantChanges,
): Step<ParticipantRow> {
  const next: ParticipantRow = { ...target };
  const reasons: ParticipantUpdateReason[] = [];
  if (changes.role !== undefined && changes.role !== target.role) {
    next.role = changes.role;
    reasons.push('role');
  }
  const attributes = changedAttributes(changes.attributes, target.attributes);
  if (attributes !== undefined) {
    next.attributes = attributes;
    reasons.push('attributes');
  }
  if (reasons.length === 0) return target;
  requireOpen(conversation);
  next.version += 1;
  next.updated_at = batch.now;
  yield* batch.tx.updateParticipant(next);
  yield* batch.emit({ conversation: conversation.sid }, 'participantUpdated', { participant: toParticipant(next), updateReasons: reasons });
  yield* batch.webhook('onParticipantUpdated', conversation.sid, () => done(participantFields(next)));
  // The role is part of the target's own view of the conversation (membership).
  if (reasons.includes('role') && next.type === 'chat') yield* emitMembershipUpdated(core, batch, conversation, next, ['role']);
  return next;
}
