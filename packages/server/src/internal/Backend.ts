import type { Logger } from 'pino';
import type {
  Conversation,
  ConversationRef,
  EventKind,
  Events,
  Message,
  OpName,
  PushDelivery,
  User,
  UserUpdateReason,
} from '@rx-conversations/protocol';
import type { PushSender } from '../PushSender.js';
import { canonicalHash } from './canonicalHash.js';
import type { Delivery, EventLog } from './EventLog.js';
import type { Hub } from './Hub.js';
import { toConversation, toUser, type ConversationRow, type ParticipantRow } from './rows.js';
import { serverError } from './ServerError.js';
import type { Store } from './Store.js';

/** Collects a write's events inside its transaction and what to do once it commits. */
export interface WriteBatch {
  /** The write's timestamp. */
  readonly now: number;
  /** Appends one event, shared by `recipients`, to each of their logs. */
  emit<K extends EventKind>(recipients: readonly string[], kind: K, data: Events[K]): void;
  /** Runs after commit (push, signals), after the events are queued. */
  afterCommit(effect: () => void): void;
}

const PUSH_BODY_CHARS = 256;

/**
 * The server's core: the store, the event log, live fan-out and push, with the one rule every write
 * follows — apply, append events, commit, then queue events to live connections, then reply (PERF-4,
 * STORE-6).
 */
export class Backend {
  private readonly pendingPushes = new Set<Promise<void>>();

  constructor(
    readonly store: Store,
    readonly log: EventLog,
    readonly hub: Hub,
    readonly clock: () => number,
    readonly logger: Logger,
    private readonly pushSender: PushSender | undefined,
  ) {}

  /**
   * Runs a write as one transaction. With an idempotency key, a repeat of the same op and arguments
   * returns the stored result and emits nothing; the key with anything else is a conflict (SRV-5).
   * Events are queued to live connections only after commit, and before the caller queues its reply.
   */
  write<R>(identity: string, op: OpName, args: object, body: (batch: WriteBatch) => R): R {
    const key = (args as { idempotencyKey?: string }).idempotencyKey;
    const now = this.clock();
    const deliveries: Delivery[] = [];
    const effects: Array<() => void> = [];
    const batch: WriteBatch = {
      now,
      emit: (recipients, kind, data) => {
        for (const delivery of this.log.append(recipients, kind, data, now)) deliveries.push(delivery);
      },
      afterCommit: (effect) => effects.push(effect),
    };
    const result = this.store.transaction(() => {
      if (key === undefined) return body(batch);
      const argsHash = canonicalHash({ ...args, idempotencyKey: undefined });
      const prior = this.store.getIdempotency(identity, key);
      if (prior !== undefined) {
        if (prior.op !== op || prior.args_hash !== argsHash) {
          throw serverError('idempotency_key_conflict', 'this idempotency key was used for another operation or arguments');
        }
        return JSON.parse(prior.result) as R;
      }
      const value = body(batch);
      this.store.insertIdempotency(identity, key, op, argsHash, JSON.stringify(value), now);
      return value;
    });
    this.hub.deliver(deliveries);
    for (const effect of effects) {
      try {
        effect();
      } catch (err) {
        this.logger.error({ err, op }, 'after-commit effect failed');
      }
    }
    return result;
  }

  /** Reads consistently (one transaction) with the caller's log head, for `asOfSeq`. */
  read<R>(identity: string, body: () => R): { value: R; asOfSeq: number } {
    return this.store.transaction(() => ({ value: body(), asOfSeq: this.log.head(identity) }));
  }

  findConversation(ref: ConversationRef): ConversationRow {
    const row = 'sid' in ref && ref.sid !== undefined
      ? this.store.getConversation(ref.sid)
      : this.store.getConversationByUniqueName((ref as { uniqueName: string }).uniqueName);
    if (row === undefined) throw serverError('conversation_not_found', 'no conversation has this sid or unique name');
    return row;
  }

  /** The caller's participant row, or `not_a_participant` (SRV-3: only participants read or write). */
  requireParticipant(conversation: ConversationRow, identity: string): ParticipantRow {
    const participant = this.store.getParticipant(conversation.sid, identity);
    if (participant === undefined) throw serverError('not_a_participant', 'only participants may do this');
    return participant;
  }

  requireAdmin(conversation: ConversationRow, identity: string): ParticipantRow {
    const participant = this.requireParticipant(conversation, identity);
    if (participant.role !== 'admin') throw serverError('admin_required', 'only an admin of the conversation may do this');
    return participant;
  }

  /** The conversation as one participant sees it. */
  conversationFor(row: ConversationRow, participant: ParticipantRow): Conversation {
    return toConversation(row, participant, this.store.unreadCount(row.sid, participant.last_read_message_index, participant.identity));
  }

  user(identity: string): User | undefined {
    const row = this.store.getUser(identity);
    if (row === undefined) return undefined;
    return toUser(row, this.hub.isOnline(identity), this.store.countRegistrations(identity) > 0);
  }

  /** Tells watchers a user changed (ephemeral `sig userUpdated`). */
  signalUser(identity: string, updateReasons: UserUpdateReason[]): void {
    const user = this.user(identity);
    if (user === undefined) return;
    this.hub.sendToWatchers(identity, JSON.stringify({ type: 'sig', kind: 'userUpdated', data: { user, updateReasons } }));
  }

  /**
   * Reachability flipped (first connection opened or last one closed): bump the user's version so the
   * change wins over older snapshots, and tell watchers.
   */
  reachabilityChanged(identity: string): void {
    this.store.bumpUserVersion(identity);
    this.signalUser(identity, ['isOnline']);
  }

  /** After a `messageAdded` commit: push to participants with no live connection (SRV-3). */
  pushNewMessage(conversation: ConversationRow, message: Message): void {
    if (this.pushSender === undefined) return;
    const targets = this.store.pushTargets(conversation.sid, message.author).filter((t) => !this.hub.isOnline(t.identity));
    for (const target of targets) {
      const delivery: PushDelivery = {
        identity: target.identity,
        type: target.type,
        token: target.token,
        payload: {
          rxc: 1,
          kind: 'newMessage',
          conversationSid: conversation.sid,
          conversationTitle: conversation.friendly_name ?? conversation.unique_name,
          messageSid: message.sid,
          messageIndex: message.index,
          author: message.author,
          body: message.body === null ? null : message.body.slice(0, PUSH_BODY_CHARS),
        },
      };
      this.track(delivery);
    }
  }

  private track(delivery: PushDelivery): void {
    const sending = Promise.resolve()
      .then(() => this.pushSender!.send(delivery))
      .catch((err: unknown) => this.logger.warn({ err, identity: delivery.identity, type: delivery.type }, 'push delivery failed'))
      .finally(() => this.pendingPushes.delete(sending));
    this.pendingPushes.add(sending);
  }

  /** Resolves once every push handed to the sender so far has settled. */
  async drainPushes(): Promise<void> {
    while (this.pendingPushes.size > 0) await Promise.all(this.pendingPushes);
  }
}
