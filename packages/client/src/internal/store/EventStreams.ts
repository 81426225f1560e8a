import { Subject } from 'rxjs';
import type { Conversation, ConversationUpdateReason, Message, Participant } from '@rx-conversations/protocol';
import type {
  ConversationUpdatedEvent,
  MessageRemovedEvent,
  MessageUpdatedEvent,
  ParticipantLeftEvent,
  ParticipantUpdatedEvent,
  TypingEvent,
  UserUpdatedEvent,
} from '../../ClientEvents.js';
import type { AppliedBatch } from './Store.js';
import { crGet } from './chunkedRecord.js';
import { entryAt, isTombstone } from './messageWindow.js';

/**
 * The STORE-3 event streams, derived from each applied batch after the state is committed (so a
 * handler that reads the store sees the change). Work is skipped for streams nobody observes.
 */
export class EventStreams {
  readonly conversationAdded = new Subject<Conversation>();
  readonly conversationUpdated = new Subject<ConversationUpdatedEvent>();
  readonly conversationRemoved = new Subject<Conversation>();
  readonly conversationJoined = new Subject<Conversation>();
  readonly conversationLeft = new Subject<Conversation>();
  readonly messageAdded = new Subject<Message>();
  readonly messageUpdated = new Subject<MessageUpdatedEvent>();
  readonly messageRemoved = new Subject<MessageRemovedEvent>();
  readonly participantJoined = new Subject<Participant>();
  readonly participantUpdated = new Subject<ParticipantUpdatedEvent>();
  readonly participantLeft = new Subject<ParticipantLeftEvent>();
  readonly typingStarted = new Subject<TypingEvent>();
  readonly typingEnded = new Subject<TypingEvent>();
  readonly userUpdated = new Subject<UserUpdatedEvent>();
  /** A user's watch began (someone observes them) or ended (PARITY-4). */
  readonly userSubscribed = new Subject<string>();
  readonly userUnsubscribed = new Subject<string>();

  emit(batch: AppliedBatch): void {
    const { actions, before, after } = batch;
    const conversationsChanged = before.conversations !== after.conversations;
    if (conversationsChanged && (this.conversationAdded.observed || this.conversationUpdated.observed || this.conversationRemoved.observed)) {
      for (const sid of batch.touched) {
        const a = crGet(before.conversations.entities, sid);
        const b = crGet(after.conversations.entities, sid);
        if (a === b) continue;
        if (a === undefined && b !== undefined) this.conversationAdded.next(b);
        else if (a !== undefined && b === undefined) this.conversationRemoved.next(a);
        else if (a !== undefined && b !== undefined) {
          const updateReasons = diffConversation(a, b);
          if (updateReasons.length > 0) this.conversationUpdated.next({ conversation: b, updateReasons });
        }
      }
    }
    for (const action of actions) {
      switch (action.type) {
        case 'conversationAdded': {
          const c = crGet(after.conversations.entities, action.conversation.sid);
          if (c !== undefined && this.conversationJoined.observed) this.conversationJoined.next(c);
          break;
        }
        case 'conversationRemoved': {
          const c = crGet(before.conversations.entities, action.sid);
          if (c !== undefined && action.reason !== 'deleted' && this.conversationLeft.observed) this.conversationLeft.next(c);
          break;
        }
        case 'messageAdded':
          // Unobserved, a Subject's next still walks its (empty) observer list: an iterator per event (PERF-2).
          if (this.messageAdded.observed) this.messageAdded.next(action.message);
          break;
        case 'messageUpdated':
          this.messageUpdated.next({ message: action.message, updateReasons: action.updateReasons });
          break;
        case 'messageRemoved': {
          const w = before.windows[action.conversationSid];
          const e = w === undefined ? null : entryAt(w, action.index);
          const message = e === null || isTombstone(e) ? null : e;
          this.messageRemoved.next({ conversationSid: action.conversationSid, sid: action.sid, index: action.index, message });
          break;
        }
        case 'participantJoined':
          this.participantJoined.next(action.participant);
          break;
        case 'participantUpdated':
          this.participantUpdated.next({ participant: action.participant, updateReasons: action.updateReasons });
          break;
        case 'participantLeft':
          this.participantLeft.next({ conversationSid: action.conversationSid, identity: action.identity, sid: action.sid });
          break;
        case 'meUpdated':
        case 'userSignal':
          this.userUpdated.next({ user: action.user, updateReasons: action.updateReasons });
          break;
        default:
          break;
      }
    }
    if (before.typing !== after.typing && (this.typingStarted.observed || this.typingEnded.observed)) {
      for (const sid of batch.touched) {
        const a = before.typing[sid];
        const b = after.typing[sid];
        if (a === b) continue;
        for (const identity in b) if (a?.[identity] === undefined) this.typingStarted.next({ conversationSid: sid, identity });
        for (const identity in a) if (b?.[identity] === undefined) this.typingEnded.next({ conversationSid: sid, identity });
      }
    }
  }

  complete(): void {
    for (const s of [
      this.conversationAdded, this.conversationUpdated, this.conversationRemoved, this.conversationJoined,
      this.conversationLeft, this.messageAdded, this.messageUpdated, this.messageRemoved, this.participantJoined,
      this.participantUpdated, this.participantLeft, this.typingStarted, this.typingEnded, this.userUpdated,
      this.userSubscribed, this.userUnsubscribed,
    ] as Subject<unknown>[]) {
      s.complete();
    }
  }
}

/** Why `b` differs from `a`, in Twilio's terms. */
export function diffConversation(a: Conversation, b: Conversation): ConversationUpdateReason[] {
  const reasons: ConversationUpdateReason[] = [];
  if (a.friendlyName !== b.friendlyName) reasons.push('friendlyName');
  if (a.uniqueName !== b.uniqueName) reasons.push('uniqueName');
  if (a.attributes !== b.attributes && JSON.stringify(a.attributes) !== JSON.stringify(b.attributes)) reasons.push('attributes');
  if (a.lastMessageIndex !== b.lastMessageIndex || a.lastMessageAt !== b.lastMessageAt || a.messagesCount !== b.messagesCount) {
    reasons.push('lastMessage');
  }
  if (a.participantsCount !== b.participantsCount) reasons.push('participantsCount');
  const ma = a.membership;
  const mb = b.membership;
  if (ma?.lastReadMessageIndex !== mb?.lastReadMessageIndex || ma?.unreadMessagesCount !== mb?.unreadMessagesCount) {
    if (ma?.lastReadMessageIndex !== mb?.lastReadMessageIndex || !reasons.includes('lastMessage')) reasons.push('lastReadMessageIndex');
  }
  if (ma?.notificationLevel !== mb?.notificationLevel) reasons.push('notificationLevel');
  if (ma?.role !== mb?.role || ma?.roleSid !== mb?.roleSid) reasons.push('role');
  if (a.state.current !== b.state.current) reasons.push('state');
  if (a.timers.inactiveAt !== b.timers.inactiveAt || a.timers.closedAt !== b.timers.closedAt) reasons.push('timers');
  return reasons;
}
