import type { MessagingBinding, ParticipantType, Conversation, ConversationState, ConversationTimerDurations, ConversationUpdateReason, JsonValue } from '@rx-conversations/protocol';
import { checkStateChange, nextDeadline, requireOpen, timerDurations, withTimersFrom } from '../conversationState.js';
import type { Core, WriteBatch } from '../Core.js';
import { changedAttributes, toConversation, toParticipant, type ConversationRow, type ParticipantRow } from '../rows.js';
import { serverError } from '../ServerError.js';
import type { Step } from '../Step.js';
import type { StoreTx } from '../Store.js';
import type { OpHandlers } from './OpContext.js';
import { conversationChanges } from '../preHooks.js';
import { conversationFields, participantFields, removedAt } from '../webhookEvents.js';
import { done } from '../Step.js';
import type { Permission } from '../roles.js';

const DEFAULT_CONVERSATIONS_PAGE = 50;
const CURSOR = /^[0-9]{1,15}$/;

const json = (value: JsonValue | undefined): string => JSON.stringify(value ?? {});

/**
 * A change to one member's own view of a conversation (notification level, read horizon, role): the
 * conversation's version moves, so every later snapshot is newer, and only that member is told, on
 * their user stream.
 */
export function* emitMembershipUpdated(
  core: Core,
  batch: WriteBatch,
  conversation: ConversationRow,
  participant: ParticipantRow,
  updateReasons: ConversationUpdateReason[],
): Step<Conversation> {
  const next = { ...conversation, version: conversation.version + 1 };
  yield* batch.tx.updateConversation(next);
  const snapshot = yield* core.conversationFor(batch.tx, next, participant);
  yield* batch.emit({ user: participant.identity }, 'conversationUpdated', { conversation: snapshot, updateReasons });
  return snapshot;
}

/** A participant reached through the app's bridge (PARITY-2): an SMS, WhatsApp or email address. */
export interface BridgedNewcomer {
  readonly type: Exclude<ParticipantType, 'chat'>;
  readonly binding: MessagingBinding;
}

/**
 * Adds `who` to the conversation. A chat user gets `conversationAdded` (which opens their view of the
 * conversation's stream); a bridged participant (PARITY-2), whose identity is their address, uses no
 * SDK and so has no user, no view and no push. Then `participantJoined` on the stream, which everyone
 * sees (SRV-3). A creator is not announced: `conversationAdded` says it all.
 */
export function* addParticipant(
  core: Core,
  batch: WriteBatch,
  conversation: ConversationRow,
  who: string | BridgedNewcomer,
  role: string | undefined,
  attributes: JsonValue | undefined,
  announce = true,
): Step<{ conversation: ConversationRow; participant: ParticipantRow }> {
  const { tx } = batch;
  // The creator of a conversation created closed still becomes its member; nobody joins one later.
  if (announce) requireOpen(conversation);
  const chat = typeof who === 'string';
  const identity = chat ? who : who.binding.address;
  if (chat) yield* tx.ensureUser(identity, batch.now, core.newSid('US'));
  const participant = yield* tx.insertParticipant({
    sid: core.newSid('MB'),
    conversation_sid: conversation.sid,
    identity,
    // Without a role of their own, the service's default for those who join or are added (ADMIN-4).
    role: role ?? (yield* core.accessRules(tx)).defaults.conversation,
    type: chat ? 'chat' : who.type,
    binding: chat ? null : JSON.stringify(who.binding),
    attributes: json(attributes),
    notification_level: 'default',
    last_read_message_index: null,
    last_read_at: null,
    joined_at: batch.now,
    updated_at: batch.now,
    version: 1,
  });
  const updated = { ...conversation, participants_count: conversation.participants_count + 1, version: conversation.version + 1 };
  yield* tx.updateConversation(updated);
  if (chat) {
    const snapshot = yield* core.conversationFor(tx, updated, participant);
    yield* batch.emit({ user: identity }, 'conversationAdded', { conversation: snapshot }, { join: conversation.sid });
  }
  if (announce) yield* batch.emit({ conversation: conversation.sid }, 'participantJoined', { participant: toParticipant(participant) });
  yield* batch.webhook('onParticipantAdded', conversation.sid, () => done(participantFields(participant)));
  return { conversation: updated, participant };
}

/**
 * Removes a participant: `conversationRemoved` to them (which closes their view of the stream), then
 * `participantLeft` on the stream for those who remain. A bridged participant has no view to close.
 */
export function* removeParticipant(
  batch: WriteBatch,
  conversation: ConversationRow,
  participant: ParticipantRow,
  reason: 'left' | 'removed',
): Step<void> {
  const { tx } = batch;
  yield* tx.deleteParticipant(participant.id);
  yield* tx.updateConversation({ ...conversation, participants_count: conversation.participants_count - 1, version: conversation.version + 1 });
  if (participant.type === 'chat') {
    yield* batch.emit({ user: participant.identity }, 'conversationRemoved', { sid: conversation.sid, reason }, { leave: conversation.sid });
  }
  yield* batch.emit({ conversation: conversation.sid }, 'participantLeft', { conversationSid: conversation.sid, identity: participant.identity, sid: participant.sid });
  yield* batch.webhook('onParticipantRemoved', conversation.sid, () => done({ ...participantFields(participant), ...removedAt(batch.now) }));
}

/** What a new conversation may be given. */
export interface NewConversation {
  readonly friendlyName?: string | null | undefined;
  readonly uniqueName?: string | null | undefined;
  readonly attributes?: JsonValue | undefined;
  readonly state?: ConversationState | undefined;
  readonly timers?: ConversationTimerDurations | undefined;
}

/** A new conversation's row: no messages or members yet, its timers (if any) started now. */
export function newConversation(sid: string, createdBy: string, now: number, version: number, fields: NewConversation): ConversationRow {
  const timers = timerDurations({ timer_inactive_ms: null, timer_closed_ms: null }, fields.timers);
  return withTimersFrom(
    {
      sid,
      unique_name: fields.uniqueName ?? null,
      friendly_name: fields.friendlyName ?? null,
      attributes: json(fields.attributes),
      created_by: createdBy,
      created_at: now,
      updated_at: now,
      version,
      last_message_index: null,
      last_message_at: null,
      messages_count: 0,
      participants_count: 0,
      state: fields.state ?? 'active',
      state_updated_at: now,
      timer_inactive_ms: timers.inactive,
      timer_closed_ms: timers.closed,
      inactive_at: null,
      closed_at: null,
    },
    now,
  );
}

/** Announces a new conversation to post-event webhooks (`onConversationAdded`). */
export function* conversationAdded(batch: WriteBatch, conversation: ConversationRow): Step<void> {
  yield* batch.webhook('onConversationAdded', conversation.sid, () => done(conversationFields(conversation)));
}

/** What a conversation update may change; absent fields stay. */
export interface ConversationChanges {
  readonly friendlyName?: string | null | undefined;
  readonly uniqueName?: string | null | undefined;
  readonly attributes?: JsonValue | undefined;
  /** PARITY-1: `closed` is final. */
  readonly state?: ConversationState | undefined;
  readonly timers?: ConversationTimerDurations | undefined;
}

/**
 * Changes a conversation's shared fields: one `conversationUpdated` on its stream for every member,
 * with `membership: null` (each keeps their own). Returns the row as it now is (unchanged: no event).
 */
export function* editConversation(batch: WriteBatch, conversation: ConversationRow, changes: ConversationChanges): Step<ConversationRow> {
  const { tx } = batch;
  let next = { ...conversation };
  const reasons: ConversationUpdateReason[] = [];
  // A closed conversation keeps what it has: only asking it to stay closed is not an error.
  const changesContent = changes.friendlyName !== undefined || changes.uniqueName !== undefined || changes.attributes !== undefined || changes.timers !== undefined;
  if (changesContent || (changes.state !== undefined && changes.state !== 'closed')) {
    if (changes.state !== undefined) checkStateChange(conversation.state, changes.state);
    requireOpen(conversation);
  }
  if (changes.friendlyName !== undefined && changes.friendlyName !== conversation.friendly_name) {
    next.friendly_name = changes.friendlyName;
    reasons.push('friendlyName');
  }
  if (changes.uniqueName !== undefined && changes.uniqueName !== conversation.unique_name) {
    if (changes.uniqueName !== null && (yield* tx.getConversationByUniqueName(changes.uniqueName)) !== undefined) {
      throw serverError('unique_name_taken', 'another conversation already has this unique name', { path: 'args.uniqueName' });
    }
    next.unique_name = changes.uniqueName;
    reasons.push('uniqueName');
  }
  const attributes = changedAttributes(changes.attributes, conversation.attributes);
  if (attributes !== undefined) {
    next.attributes = attributes;
    reasons.push('attributes');
  }
  if (changes.timers !== undefined) {
    const durations = timerDurations(conversation, changes.timers);
    if (durations.inactive !== conversation.timer_inactive_ms || durations.closed !== conversation.timer_closed_ms) {
      next.timer_inactive_ms = durations.inactive;
      next.timer_closed_ms = durations.closed;
      reasons.push('timers');
    }
  }
  if (changes.state !== undefined && changes.state !== conversation.state) {
    next.state = changes.state;
    next.state_updated_at = batch.now;
    reasons.push('state');
  }
  if (reasons.length === 0) return conversation;
  // New timers, or a new state, start the timers from now.
  if (reasons.includes('timers') || reasons.includes('state')) {
    next = withTimersFrom(next, batch.now);
    batch.deadline(nextDeadline(next));
  }
  next.version += 1;
  next.updated_at = batch.now;
  yield* announceChange(batch, conversation, next, reasons);
  return next;
}

/**
 * Stores a changed conversation and tells every member (`conversationUpdated` with `membership: null`)
 * and the webhooks: `onConversationUpdated`, and `onConversationStateUpdated` for a state change.
 */
export function* announceChange(
  batch: WriteBatch,
  before: ConversationRow,
  next: ConversationRow,
  reasons: ConversationUpdateReason[],
  why: 'API' | 'Timer' | 'Message' = 'API',
): Step<void> {
  yield* batch.tx.updateConversation(next);
  yield* batch.emit({ conversation: next.sid }, 'conversationUpdated', { conversation: toConversation(next, null, 0), updateReasons: reasons });
  if (reasons.some((r) => r !== 'state')) yield* batch.webhook('onConversationUpdated', next.sid, () => done(conversationFields(next)));
  if (reasons.includes('state')) {
    yield* batch.webhook('onConversationStateUpdated', next.sid, () =>
      done({ ...conversationFields(next), StateFrom: before.state, StateTo: next.state, Reason: why }),
    );
  }
}

/**
 * Deletes a conversation: `conversationRemoved` on its stream ends every member's view of it. Its media
 * leave storage after commit (MEDIA-4).
 */
export function* deleteConversation(core: Core, batch: WriteBatch, conversation: ConversationRow): Step<void> {
  // Before the delete: the conversation's own webhooks go with it.
  yield* batch.webhook('onConversationRemoved', conversation.sid, () => done({ ...conversationFields(conversation), ...removedAt(batch.now) }));
  yield* batch.emit({ conversation: conversation.sid }, 'conversationRemoved', { sid: conversation.sid, reason: 'deleted' }, { end: conversation.sid });
  yield* batch.tx.deleteConversation(conversation.sid);
  batch.afterCommit(function* () {
    core.mediaReleased();
  });
}

/** Sets a member's notification level (their own view only). Null when it stays as it is. */
export function* setNotificationLevel(
  core: Core,
  batch: WriteBatch,
  conversation: ConversationRow,
  participant: ParticipantRow,
  level: ParticipantRow['notification_level'],
): Step<{ snapshot: Conversation; participant: ParticipantRow } | null> {
  if (participant.notification_level === level) return null;
  const next: ParticipantRow = { ...participant, notification_level: level, version: participant.version + 1, updated_at: batch.now };
  yield* batch.tx.updateParticipant(next);
  return { snapshot: yield* emitMembershipUpdated(core, batch, conversation, next, ['notificationLevel']), participant: next };
}

/**
 * Moves a participant's read horizon (`set`, or `advance`: never backwards), capped at the newest
 * message: the member's own snapshot on their user stream, `participantUpdated` for everyone. Null
 * when the horizon stays where it is.
 */
export function* moveReadHorizon(
  core: Core,
  batch: WriteBatch,
  conversation: ConversationRow,
  participant: ParticipantRow,
  index: number | null,
  mode: 'set' | 'advance',
): Step<{ snapshot: Conversation; participant: ParticipantRow } | null> {
  const last = conversation.last_message_index;
  // A horizon beyond the newest message would mark future messages read before they exist.
  const wanted = index === null || last === null ? null : Math.min(index, last);
  const current = participant.last_read_message_index;
  const target = mode === 'advance' && (wanted === null || (current !== null && wanted <= current)) ? current : wanted;
  if (target === current) return null;
  const next: ParticipantRow = {
    ...participant,
    last_read_message_index: target,
    last_read_at: batch.now,
    updated_at: batch.now,
    version: participant.version + 1,
  };
  yield* batch.tx.updateParticipant(next);
  const snapshot = yield* emitMembershipUpdated(core, batch, conversation, next, ['lastReadMessageIndex']);
  yield* batch.emit({ conversation: conversation.sid }, 'participantUpdated', { participant: toParticipant(next), updateReasons: ['lastReadMessageIndex'] });
  yield* batch.webhook('onParticipantUpdated', conversation.sid, () => done(participantFields(next)));
  return { snapshot, participant: next };
}

function* unchanged(core: Core, tx: StoreTx, conversation: ConversationRow, participant: ParticipantRow): Step<Conversation> {
  return yield* core.conversationFor(tx, conversation, participant);
}

/** What a conversation update needs: `editConversationName` for its names, `editConversationAttributes` for its attributes. */
function conversationEditPermissions(args: ConversationChanges): Permission[] {
  const needed: Permission[] = [];
  if (args.friendlyName !== undefined || args.uniqueName !== undefined) needed.push('editConversationName');
  if (args.attributes !== undefined) needed.push('editConversationAttributes');
  return needed;
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
  *'conversations.list'({ core, identity }, args) {
    if (args.cursor !== undefined && !CURSOR.test(args.cursor)) {
      throw serverError('invalid_argument', 'conversations.list: args.cursor is not a cursor this server issued', { path: 'args.cursor' });
    }
    const pageSize = args.pageSize ?? DEFAULT_CONVERSATIONS_PAGE;
    const after = args.cursor === undefined ? 0 : Number(args.cursor);
    // Keyset pagination on the membership row id: stable under concurrent joins and leaves, no OFFSET.
    const { value, asOfSeq } = yield* core.read(function* (tx) {
      const rows = yield* tx.membershipsPage(identity, after, pageSize + 1);
      const page = rows.slice(0, pageSize);
      const items: Conversation[] = [];
      for (const participant of page) items.push(yield* core.conversationFor(tx, (yield* tx.getConversation(participant.conversation_sid))!, participant));
      return { items, nextCursor: rows.length > pageSize ? String(page[page.length - 1]!.id) : null };
    });
    return { ...value, asOfSeq };
  },

  *'conversations.get'({ core, identity }, args) {
    return yield* core.store.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, args);
      return yield* core.conversationFor(tx, conversation, yield* core.requireParticipant(tx, conversation, identity));
    });
  },

  // Same rule as get (no leak to non-participants); the difference is on the client, which does not
  // subscribe the result into its store.
  *'conversations.peek'({ core, identity }, args) {
    return yield* core.store.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, args);
      return yield* core.conversationFor(tx, conversation, yield* core.requireParticipant(tx, conversation, identity));
    });
  },

  *'conversations.create'({ core, identity, conversationSid }, args) {
    const creatable = function* (tx: StoreTx): Step<void> {
      yield* core.requirePermissions(tx, identity, null, ['createConversation']);
      if (args.uniqueName !== undefined && (yield* tx.getConversationByUniqueName(args.uniqueName)) !== undefined) {
        throw serverError('unique_name_taken', 'another conversation already has this unique name', { path: 'args.uniqueName' });
      }
    };
    const asked = yield* core.preEvent('onConversationAdd', identity, function* (tx) {
      yield* creatable(tx);
      return { FriendlyName: args.friendlyName ?? '', UniqueName: args.uniqueName ?? '', Attributes: json(args.attributes), State: 'active' };
    });
    const changed = conversationChanges(asked, 'onConversationAdd');
    return yield* core.write(identity, 'conversations.create', args, function* (batch) {
      const { tx } = batch;
      yield* creatable(tx);
      const conversation = newConversation(conversationSid ?? core.newSid('CH'), identity, batch.now, 0, {
        ...args,
        friendlyName: changed.friendlyName ?? args.friendlyName,
      });
      if ((yield* tx.getConversation(conversation.sid)) !== undefined) throw new TypeError(`a conversation ${conversation.sid} exists already`);
      yield* tx.insertConversation(conversation);
      batch.deadline(nextDeadline(conversation));
      yield* conversationAdded(batch, conversation);
      // The creator joins with the creator role (channel admin by default); addParticipant brings the
      // version to 1 and emits conversationAdded.
      const creatorRole = (yield* core.accessRules(tx)).defaults.conversationCreator;
      const { conversation: created, participant } = yield* addParticipant(core, batch, conversation, identity, creatorRole, undefined, false);
      return yield* core.conversationFor(tx, created, participant);
    });
  },

  *'conversations.update'({ core, identity }, args) {
    const asked = yield* core.preEvent('onConversationUpdate', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.authorize(tx, conversation, identity, ...conversationEditPermissions(args));
      const next = {
        ...conversation,
        friendly_name: args.friendlyName === undefined ? conversation.friendly_name : args.friendlyName,
        unique_name: args.uniqueName === undefined ? conversation.unique_name : args.uniqueName,
        attributes: args.attributes === undefined ? conversation.attributes : json(args.attributes),
      };
      return conversationFields(next);
    });
    const changed = conversationChanges(asked, 'onConversationUpdate');
    return yield* core.write(identity, 'conversations.update', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      const caller = yield* core.authorize(batch.tx, conversation, identity, ...conversationEditPermissions(args));
      return yield* core.conversationFor(batch.tx, yield* editConversation(batch, conversation, { ...args, ...changed }), caller);
    });
  },

  *'conversations.delete'({ core, identity }, args) {
    yield* core.preEvent('onConversationRemove', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.authorize(tx, conversation, identity, 'deleteConversation');
      return conversationFields(conversation);
    });
    return yield* core.write(identity, 'conversations.delete', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      yield* core.authorize(batch.tx, conversation, identity, 'deleteConversation');
      yield* deleteConversation(core, batch, conversation);
      return { sid: conversation.sid };
    });
  },

  // Whoever knows the sid or unique name may join, if their service role has `joinConversation` (the
  // default service user's has; without it conversations are private: users join only when added).
  *'conversations.join'({ core, identity }, args) {
    yield* core.preEvent('onParticipantAdd', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, args);
      if ((yield* tx.getParticipant(conversation.sid, identity)) === undefined) yield* core.requirePermissions(tx, identity, null, ['joinConversation']);
      return { ConversationSid: conversation.sid, Identity: identity, RoleSid: (yield* core.accessRules(tx)).defaults.conversation, Attributes: '{}' };
    });
    return yield* core.write(identity, 'conversations.join', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, args);
      const existing = yield* batch.tx.getParticipant(conversation.sid, identity);
      if (existing !== undefined) return yield* unchanged(core, batch.tx, conversation, existing);
      yield* core.requirePermissions(batch.tx, identity, null, ['joinConversation']);
      const joined = yield* addParticipant(core, batch, conversation, identity, undefined, undefined);
      return yield* core.conversationFor(batch.tx, joined.conversation, joined.participant);
    });
  },

  *'conversations.leave'({ core, identity }, args) {
    yield* core.preEvent('onParticipantRemove', identity, function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      return participantFields(yield* core.authorize(tx, conversation, identity, 'leaveConversation'));
    });
    return yield* core.write(identity, 'conversations.leave', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      yield* removeParticipant(batch, conversation, yield* core.authorize(batch.tx, conversation, identity, 'leaveConversation'), 'left');
      return { sid: conversation.sid };
    });
  },

  *'conversations.setNotificationLevel'({ core, identity }, args) {
    return yield* core.write(identity, 'conversations.setNotificationLevel', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      const caller = yield* core.authorize(batch.tx, conversation, identity, 'editNotificationLevel');
      const moved = yield* setNotificationLevel(core, batch, conversation, caller, args.level);
      return moved === null ? yield* unchanged(core, batch.tx, conversation, caller) : moved.snapshot;
    });
  },

  *'conversations.setLastRead'({ core, identity }, args) {
    return yield* core.write(identity, 'conversations.setLastRead', args, function* (batch) {
      const conversation = yield* core.findConversation(batch.tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(batch.tx, conversation, identity);
      const moved = yield* moveReadHorizon(core, batch, conversation, caller, args.index, args.mode);
      return moved === null ? yield* unchanged(core, batch.tx, conversation, caller) : moved.snapshot;
    });
  },

  *'conversations.counts'({ core, identity }, args) {
    return yield* core.store.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      const caller = yield* core.requireParticipant(tx, conversation, identity);
      return {
        messagesCount: conversation.messages_count,
        participantsCount: conversation.participants_count,
        unreadMessagesCount: yield* tx.unreadCount(conversation.sid, caller.last_read_message_index, identity),
      };
    });
  },

  // A signal to the members online now: never stored, never replayed.
  *'conversations.typing'({ core, identity }, args) {
    const sid = yield* core.store.read(function* (tx) {
      const conversation = yield* core.findConversation(tx, { sid: args.sid });
      yield* core.requireParticipant(tx, conversation, identity);
      requireOpen(conversation);
      return conversation.sid;
    });
    core.signal({ to: 'members', conversationSid: sid, except: identity, frame: JSON.stringify({ type: 'sig', kind: 'typing', data: { conversationSid: sid, identity } }) });
    return null;
  },
};
