import type { JsonValue, ParticipantRole, ParticipantUpdateReason } from '@rx-conversations/protocol';
import type { Core, WriteBatch } from '../Core.js';
import { changedAttributes, toParticipant, type ConversationRow, type ParticipantRow } from '../rows.js';
import { done, type Step } from '../Step.js';
import { CONVERSATION_ROLE_SIDS, participantFields } from '../webhookEvents.js';
import { serverError } from '../ServerError.js';
import { addParticipant, emitMembershipUpdated, removeParticipant } from './conversationOps.js';
import type { OpHandlers } from './OpContext.js';

/** Participant operations (SRV-3): admins manage the roster; members may edit their own attributes. */
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
    yield* core.preEvent('onParticipantAdd', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireAdmin(tx, conversation, identity);
      const role = CONVERSATION_ROLE_SIDS[args.role ?? 'member'];
      return { ConversationSid: conversation.sid, Identity: args.identity, RoleSid: role, Attributes: JSON.stringify(args.attributes ?? {}) };
    });
    return yield* core.write(identity, 'participants.add', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      yield* core.requireAdmin(batch.tx, conversation, identity);
      if ((yield* batch.tx.getParticipant(conversation.sid, args.identity)) !== undefined) {
        throw serverError('participant_exists', 'this identity is already a participant', { path: 'args.identity' });
      }
      const added = yield* addParticipant(core, batch, conversation, args.identity, args.role ?? 'member', args.attributes);
      return toParticipant(added.participant);
    });
  },

  *'participants.remove'({ core, identity }, args) {
    yield* core.preEvent('onParticipantRemove', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      if (args.identity !== identity && caller.role !== 'admin') throw serverError('admin_required', 'only an admin may remove others');
      const target = yield* tx.getParticipant(conversation.sid, args.identity);
      if (target === undefined) throw serverError('participant_not_found', 'not a participant of this conversation', { path: 'args.identity' });
      return participantFields(target);
    });
    return yield* core.write(identity, 'participants.remove', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(batch.tx, conversation, identity);
      const self = args.identity === identity;
      if (!self && caller.role !== 'admin') throw serverError('admin_required', 'only an admin may remove others');
      const target = self ? caller : yield* batch.tx.getParticipant(conversation.sid, args.identity);
      if (target === undefined) throw serverError('participant_not_found', 'not a participant of this conversation', { path: 'args.identity' });
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
      // Members may only change their own attributes; roles and other people are for admins.
      if ((target !== caller || args.role !== undefined) && caller.role !== 'admin') {
        throw serverError('admin_required', 'only an admin may change roles or other participants');
      }
      return toParticipant(yield* editParticipant(core, batch, conversation, target, args));
    });
  },
};

/** What a participant update may change; absent fields stay. */
export interface ParticipantChanges {
  readonly role?: ParticipantRole | undefined;
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
  next.version += 1;
  next.updated_at = batch.now;
  yield* batch.tx.updateParticipant(next);
  yield* batch.emit({ conversation: conversation.sid }, 'participantUpdated', { participant: toParticipant(next), updateReasons: reasons });
  yield* batch.webhook('onParticipantUpdated', conversation.sid, () => done(participantFields(next)));
  // The role is part of the target's own view of the conversation (membership).
  if (reasons.includes('role')) yield* emitMembershipUpdated(core, batch, conversation, next, ['role']);
  return next;
}
