import type {
  Conversation,
  EventFrame,
  EventKind,
  Events,
  JsonValue,
  Message,
  NotificationLevel,
  Participant,
  PushDelivery,
  PushType,
  User,
} from '@rx-conversations/protocol';

/** A conversation's membership row: the public participant plus the member's private settings. */
export interface MemberRecord {
  participant: Participant;
  notificationLevel: NotificationLevel;
  /** Global order of joining, for `conversations.list` paging. */
  readonly joinOrder: number;
}

/** A message slot; removed messages stay as tombstones so indexes are never reused. */
export interface MessageRecord {
  message: Message;
  removed: boolean;
}

/**
 * A conversation. `version` increases when the conversation itself changes (fields, roster, messages);
 * each member's own changes increase their participant version (see {@link Model.conversationFor}).
 */
export interface ConversationRecord {
  readonly sid: string;
  uniqueName: string | null;
  friendlyName: string | null;
  attributes: JsonValue;
  readonly createdBy: string;
  readonly createdAt: number;
  updatedAt: number;
  version: number;
  /** Position in the array is the message index. */
  readonly messages: MessageRecord[];
  readonly members: Map<string, MemberRecord>;
}

/** One user's durable event log (SRV-4). */
export interface UserLog {
  /** Retained events, oldest first; older ones may have been trimmed. */
  events: EventFrame[];
  headSeq: number;
}

/** A push registration as recorded by the fake. */
export interface PushRegistration {
  readonly identity: string;
  readonly type: PushType;
  readonly token: string;
  readonly registeredAt: number;
}

/** The fake server's whole state, in memory. Mutated only by op handlers and the server. */
export class Model {
  readonly users = new Map<string, User>();
  readonly conversations = new Map<string, ConversationRecord>();
  readonly uniqueNames = new Map<string, string>();
  readonly logs = new Map<string, UserLog>();
  readonly idempotency = new Map<string, { readonly fingerprint: string; readonly result: unknown }>();
  readonly pushRegistrations: PushRegistration[] = [];
  readonly pushDeliveries: PushDelivery[] = [];
  private readonly counters = new Map<string, number>();
  private joinCounter = 0;

  constructor(
    readonly now: () => number,
    private readonly maxEvents: number,
    private readonly onEvent: (identity: string, frame: EventFrame) => void,
  ) {}

  /** A deterministic sid: prefix plus a 32-digit hex counter, like `CH000…01`. */
  nextSid(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return prefix + n.toString(16).padStart(32, '0');
  }

  ensureUser(identity: string): User {
    let user = this.users.get(identity);
    if (user === undefined) {
      user = Object.freeze({ identity, friendlyName: null, attributes: {}, isOnline: false, isNotifiable: false, version: 1 });
      this.users.set(identity, user);
    }
    return user;
  }

  updateUser(identity: string, changes: Partial<Omit<User, 'identity' | 'version'>>): User {
    const user = Object.freeze({ ...this.ensureUser(identity), ...changes, version: this.ensureUser(identity).version + 1 });
    this.users.set(identity, user);
    return user;
  }

  log(identity: string): UserLog {
    let log = this.logs.get(identity);
    if (log === undefined) {
      log = { events: [], headSeq: 0 };
      this.logs.set(identity, log);
    }
    return log;
  }

  /** Appends a durable event to `identity`'s log and hands it to live fan-out at once. */
  emit<K extends EventKind>(identity: string, kind: K, data: Events[K]): void {
    const log = this.log(identity);
    log.headSeq += 1;
    const frame = { type: 'ev', seq: log.headSeq, kind, data, at: this.now() } as EventFrame;
    log.events.push(frame);
    if (log.events.length > this.maxEvents) log.events.splice(0, log.events.length - this.maxEvents);
    this.onEvent(identity, frame);
  }

  /** Keeps only the newest `keep` events of `identity`'s log (simulates retention). */
  trimLog(identity: string, keep: number): void {
    const log = this.log(identity);
    if (log.events.length > keep) log.events.splice(0, log.events.length - keep);
  }

  unreadCount(conversation: ConversationRecord, identity: string): number {
    const member = conversation.members.get(identity);
    const horizon = member?.participant.lastReadMessageIndex ?? -1;
    let count = 0;
    for (let i = conversation.messages.length - 1; i > horizon; i -= 1) {
      const record = conversation.messages[i];
      if (record !== undefined && !record.removed && record.message.author !== identity) count += 1;
    }
    return count;
  }

  /** The conversation as `identity` sees it (membership null for non-participants). */
  conversationFor(conversation: ConversationRecord, identity: string): Conversation {
    const member = conversation.members.get(identity);
    const last = conversation.messages[conversation.messages.length - 1];
    return Object.freeze({
      sid: conversation.sid,
      uniqueName: conversation.uniqueName,
      friendlyName: conversation.friendlyName,
      attributes: conversation.attributes,
      createdBy: conversation.createdBy,
      createdAt: conversation.createdAt,
      updatedAt: conversation.updatedAt,
      // As on the real server: the conversation's version plus the viewer's participant row's. Both only
      // grow, so the sum grows whenever anything this viewer sees changes, their own membership included.
      version: conversation.version + (member?.participant.version ?? 0),
      lastMessageIndex: last === undefined ? null : last.message.index,
      lastMessageAt: last === undefined ? null : last.message.createdAt,
      messagesCount: conversation.messages.filter((m) => !m.removed).length,
      participantsCount: conversation.members.size,
      membership:
        member === undefined
          ? null
          : Object.freeze({
              role: member.participant.role,
              lastReadMessageIndex: member.participant.lastReadMessageIndex,
              notificationLevel: member.notificationLevel,
              unreadMessagesCount: this.unreadCount(conversation, identity),
            }),
    });
  }

  nextJoinOrder(): number {
    this.joinCounter += 1;
    return this.joinCounter;
  }
}
