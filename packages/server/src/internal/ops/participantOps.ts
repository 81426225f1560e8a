import type { ParticipantUpdateReason } from '@rx-conversations/protocol';
import { toParticipant, type ParticipantRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import { addParticipant, emitConversationUpdated, removeParticipant } from './conversationOps.js';
import type { OpHandlers } from './OpContext.js';

/** Participant operations (SRV-3): admins manage the roster; members may edit their own attributes. */
export const participantOps: OpHandlers<'participants.list' | 'participants.add' | 'participants.remove' | 'participants.update'> = {
  'participants.list': ({ backend, identity }, args) => {
    const { value, asOfSeq } = backend.read(identity, () => {
      const conversation = backend.findConversation({ sid: args.sid });
      backend.requireParticipant(conversation, identity);
      return backend.store.listParticipants(conversation.sid).map(toParticipant);
    });
    return { items: value, asOfSeq };
  },

  'participants.add': ({ backend, identity }, args) =>
    backend.write(identity, 'participants.add', args, (batch) => {
      const conversation = backend.findConversation({ sid: args.sid });
      backend.requireAdmin(conversation, identity);
      if (backend.store.getParticipant(conversation.sid, args.identity) !== undefined) {
        throw serverError('participant_exists', 'this identity is already a participant', { path: 'args.identity' });
      }
      const added = addParticipant(backend, batch, conversation, args.identity, args.role ?? 'member', args.attributes);
      return toParticipant(added.participant);
    }),

  'participants.remove': ({ backend, identity }, args) =>
    backend.write(identity, 'participants.remove', args, (batch) => {
      const conversation = backend.findConversation({ sid: args.sid });
      const caller = backend.requireParticipant(conversation, identity);
      const self = args.identity === identity;
      if (!self && caller.role !== 'admin') throw serverError('admin_required', 'only an admin may remove others');
      const target = self ? caller : backend.store.getParticipant(conversation.sid, args.identity);
      if (target === undefined) throw serverError('participant_not_found', 'not a participant of this conversation', { path: 'args.identity' });
      removeParticipant(backend, batch, conversation, target, self ? 'left' : 'removed');
      return { identity: args.identity };
    }),

  'participants.update': ({ backend, identity }, args) =>
    backend.write(identity, 'participants.update', args, (batch) => {
      const { store } = backend;
      const conversation = backend.findConversation({ sid: args.sid });
      const caller = backend.requireParticipant(conversation, identity);
      const target = args.identity === identity ? caller : store.getParticipant(conversation.sid, args.identity);
      if (target === undefined) throw serverError('participant_not_found', 'not a participant of this conversation', { path: 'args.identity' });
      // Members may only change their own attributes; roles and other people are for admins.
      if ((target !== caller || args.role !== undefined) && caller.role !== 'admin') {
        throw serverError('admin_required', 'only an admin may change roles or other participants');
      }
      const next: ParticipantRow = { ...target };
      const reasons: ParticipantUpdateReason[] = [];
      if (args.role !== undefined && args.role !== target.role) {
        next.role = args.role;
        reasons.push('role');
      }
      const attributes = args.attributes === undefined ? undefined : JSON.stringify(args.attributes);
      if (attributes !== undefined && attributes !== target.attributes) {
        next.attributes = attributes;
        reasons.push('attributes');
      }
      if (reasons.length === 0) return toParticipant(target);
      next.version += 1;
      next.updated_at = batch.now;
      store.updateParticipant(next);
      const everyone = store.listParticipants(conversation.sid).map((p) => p.identity);
      batch.emit(everyone, 'participantUpdated', { participant: toParticipant(next), updateReasons: reasons });
      // The role is part of the target's own view of the conversation (membership).
      if (reasons.includes('role')) emitConversationUpdated(backend, batch, conversation, [next], ['role']);
      return toParticipant(next);
    }),
};
