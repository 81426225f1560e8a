import type { PushType } from '@rx-conversations/protocol';
import type { ConversationRow, MediaRow, MessageRow, ParticipantRow, UserRow } from './rows.js';
import type { RoleRow } from './roles.js';
import { done, type Step } from './Step.js';
import type { IdempotencyRow, LoggedEvent, NewEvent, RegistrationRow, RetentionLimits, Store, StoreTx, WebhookDeliveryRow, WebhookRow } from './Store.js';

/** A stored push registration, as the memory store keeps it. */
export interface StoredRegistration extends RegistrationRow {
  registered_at: number;
  last_seen_at: number;
}

interface Interval {
  readonly sid: string;
  readonly from: number;
  to: number | null;
}

interface StoredIdempotency extends IdempotencyRow {
  created_at: number;
}

const key = (...parts: string[]): string => parts.join('\u0000');

/** First index in `events` (ascending seq) whose seq is above `seq`. */
function firstAfter(events: readonly LoggedEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The in-memory store (CORE-1): what the test kit's `FakeServer` runs on, browser-safe and synchronous.
 * A write that throws is undone step by step, so a refused op leaves nothing behind, as a rolled-back
 * transaction would.
 */
export class MemoryStore implements Store {
  readonly synchronous = true;
  private readonly conversations = new Map<string, ConversationRow>();
  private readonly uniqueNames = new Map<string, string>();
  private readonly participants = new Map<number, ParticipantRow>();
  private readonly rosters = new Map<string, Map<string, number>>();
  private readonly membershipsOf = new Map<string, Map<string, number>>();
  private readonly messages = new Map<string, MessageRow[]>();
  private readonly users = new Map<string, UserRow>();
  private readonly media = new Map<string, MediaRow>();
  private readonly registrations = new Map<string, StoredRegistration>();
  private readonly idempotency = new Map<string, StoredIdempotency>();
  private readonly webhooks = new Map<string, WebhookRow>();
  private readonly roles = new Map<string, RoleRow>();
  /**
   * Reactions by conversation, message index and emoji: identities in the order they reacted (a Set
   * keeps insertion order). Nested, so that a reaction costs the same however many there are, and a
   * user's reactions on a page of messages are found without looking at other conversations.
   */
  private readonly reactions = new Map<string, Map<number, Map<string, Set<string>>>>();
  private readonly settings = new Map<string, string>();
  private readonly deliveries = new Map<number, WebhookDeliveryRow>();
  private nextDeliveryId = 1;
  private readonly log: LoggedEvent[] = [];
  private readonly conversationLogs = new Map<string, LoggedEvent[]>();
  private readonly userLogs = new Map<string, LoggedEvent[]>();
  private readonly streamHeads = new Map<string, number>();
  private readonly intervals = new Map<string, Interval[]>();
  private readonly userFloors = new Map<string, number>();
  private head = 0;
  private floor = 1;
  private nextParticipantId = 1;
  private undo: Array<() => void> | null = null;
  private readonly tx: StoreTx;

  /** `maxEvents`: events kept in the log; older ones are dropped as new ones come (default: all). */
  constructor(private readonly maxEvents = Number.POSITIVE_INFINITY) {
    this.tx = this.createTx();
  }

  *write<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    if (this.undo !== null) return yield* body(this.tx); // joins the enclosing write
    this.undo = [];
    try {
      const result = yield* body(this.tx);
      this.undo = null;
      // Count retention is paid at commit: a write that throws must not have dropped an old event.
      this.trimToMaxEvents();
      return result;
    } catch (error) {
      const undo = this.undo ?? [];
      this.undo = null;
      for (let i = undo.length - 1; i >= 0; i -= 1) undo[i]!();
      throw error;
    }
  }

  *read<R>(body: (tx: StoreTx) => Step<R>): Step<R> {
    return yield* body(this.tx);
  }

  *prune(now: number, limits: { readonly events: RetentionLimits; readonly idempotencyTtlMs: number; readonly registrationIdleMs: number }): Step<void> {
    const { maxEvents, maxAgeMs } = limits.events;
    let drop = 0;
    while (drop < this.log.length && (this.log.length - drop > maxEvents || this.log[drop]!.at < now - maxAgeMs)) drop += 1;
    if (drop > 0) this.dropEvents(this.log[drop - 1]!.seq);
    for (const [k, row] of this.idempotency) if (row.created_at < now - limits.idempotencyTtlMs) this.idempotency.delete(k);
    for (const [k, row] of this.registrations) if (row.last_seen_at < now - limits.registrationIdleMs) this.registrations.delete(k);
  }

  /** Every event the user may see, oldest first (the test kit's `state.events`). */
  eventsOf(identity: string): LoggedEvent[] {
    return this.eventsOfAfter(identity, Math.max(this.floor, this.userFloors.get(identity) ?? 0, 1) - 1) ?? [];
  }

  /** Forgets the user's events but the newest `keep`: resuming from before them gets `resync`. */
  trimUserLog(identity: string, keep: number): void {
    const events = this.eventsOf(identity);
    const firstKept = events[events.length - keep]?.seq ?? (keep === 0 ? this.head + 1 : 0);
    if (firstKept > 0) this.userFloors.set(identity, firstKept);
  }

  /** Drops the oldest events of the whole log up to `seq` (retention). */
  dropEvents(seq: number): void {
    const drop = firstAfter(this.log, seq);
    if (drop === 0) return;
    this.log.splice(0, drop);
    this.floor = seq + 1;
    for (const logs of [this.conversationLogs, this.userLogs]) {
      for (const [k, events] of logs) {
        const n = firstAfter(events, seq);
        if (n === events.length) logs.delete(k);
        else if (n > 0) events.splice(0, n);
      }
    }
    for (const [identity, intervals] of this.intervals) {
      const open = intervals.filter((i) => i.to === null || i.to > seq);
      if (open.length === 0) this.intervals.delete(identity);
      else this.intervals.set(identity, open);
    }
  }

  private eventsOfAfter(identity: string, afterSeq: number): LoggedEvent[] | null {
    if (afterSeq < this.floor - 1 || afterSeq < (this.userFloors.get(identity) ?? 0) - 1) return null;
    const own = this.userLogs.get(identity) ?? [];
    const out = own.slice(firstAfter(own, afterSeq));
    for (const interval of this.intervals.get(identity) ?? []) {
      if (interval.to !== null && interval.to <= afterSeq) continue;
      const events = this.conversationLogs.get(interval.sid) ?? [];
      for (let i = firstAfter(events, Math.max(afterSeq, interval.from)); i < events.length; i += 1) {
        const event = events[i]!;
        if (interval.to !== null && event.seq > interval.to) break;
        out.push(event);
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Records how to put back what a write changes, in case it throws. */
  private changed(restore: () => void): void {
    this.undo?.push(restore);
  }

  /** Sets `k` to a new, empty `value` (undone by deleting it) and returns `value`. */
  private created<K, V>(map: Map<K, V>, k: K, value: V): V {
    this.setIn(map, k, value);
    return value;
  }

  private setIn<K, V>(map: Map<K, V>, k: K, value: V | undefined): void {
    const had = map.has(k);
    const before = map.get(k);
    if (value === undefined) map.delete(k);
    else map.set(k, value);
    this.changed(() => {
      if (had) map.set(k, before as V);
      else map.delete(k);
    });
  }

  private createTx(): StoreTx {
    return {
      getConversation: (sid) => done(this.conversations.get(sid)),
      getConversationByUniqueName: (name) => done(this.conversations.get(this.uniqueNames.get(name) ?? '')),
      insertConversation: (row) => done(this.putConversation(row)),
      updateConversation: (row) => done(this.putConversation(row)),
      deleteConversation: (sid) => {
        const row = this.conversations.get(sid);
        if (row !== undefined) {
          if (row.unique_name !== null) this.setIn(this.uniqueNames, row.unique_name, undefined);
          this.setIn(this.conversations, sid, undefined);
          for (const id of [...(this.rosters.get(sid)?.values() ?? [])]) this.removeParticipant(id);
          this.setIn(this.messages, sid, undefined);
          for (const hook of [...this.webhooks.values()]) if (hook.conversation_sid === sid) this.setIn(this.webhooks, hook.sid, undefined);
          this.setIn(this.reactions, sid, undefined);
          for (const m of this.media.values()) if (m.conversation_sid === sid) this.setIn(this.media, m.sid, { ...m, delete_after: 0 });
        }
        return done(undefined);
      },
      getParticipant: (sid, identity) => done(this.participants.get(this.rosters.get(sid)?.get(identity) ?? 0)),
      listParticipants: (sid) => done([...(this.rosters.get(sid)?.values() ?? [])].sort((a, b) => a - b).map((id) => this.participants.get(id)!)),
      insertParticipant: (row) => {
        const participant: ParticipantRow = { ...row, id: this.nextParticipantId };
        this.nextParticipantId += 1;
        this.setIn(this.participants, participant.id, participant);
        this.setIn(this.roster(this.rosters, row.conversation_sid), row.identity, participant.id);
        this.setIn(this.roster(this.membershipsOf, row.identity), row.conversation_sid, participant.id);
        return done(participant);
      },
      updateParticipant: (row) => done(this.setIn(this.participants, row.id, row)),
      bridgedParticipants: (sid) =>
        done(
          [...(this.rosters.get(sid)?.values() ?? [])]
            .map((id) => this.participants.get(id)!)
            .filter((p) => p.type !== 'chat')
            .sort((a, b) => a.id - b.id),
        ),
      deleteParticipant: (id) => done(this.removeParticipant(id)),
      membershipsPage: (identity, afterId, limit) =>
        done(
          [...(this.membershipsOf.get(identity)?.values() ?? [])]
            .filter((id) => id > afterId)
            .sort((a, b) => a - b)
            .slice(0, limit)
            .map((id) => this.participants.get(id)!),
        ),
      conversationSidsOf: (identity) => done([...(this.membershipsOf.get(identity)?.keys() ?? [])]),
      participantsPage: (sid, afterId, limit) =>
        done(
          [...(this.rosters.get(sid)?.values() ?? [])]
            .filter((id) => id > afterId)
            .sort((a, b) => a - b)
            .slice(0, limit)
            .map((id) => this.participants.get(id)!),
        ),
      getParticipantBySid: (sid) => done([...this.participants.values()].find((p) => p.sid === sid)),
      conversationsPage: (after, limit) =>
        done(
          [...this.conversations.values()]
            .filter((c) => after === null || c.created_at > after.createdAt || (c.created_at === after.createdAt && c.sid > after.sid))
            .sort((a, b) => a.created_at - b.created_at || (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0))
            .slice(0, limit),
        ),
      getMessage: (sid, index) => done(this.messages.get(sid)?.[index]),
      getMessageBySid: (conversationSid, sid) => done(this.messages.get(conversationSid)?.find((m) => m !== undefined && m.sid === sid)),
      insertMessage: (row) => {
        let list = this.messages.get(row.conversation_sid);
        if (list === undefined) {
          list = [];
          this.setIn(this.messages, row.conversation_sid, list);
        }
        const messages = list;
        messages[row.idx] = row;
        this.changed(() => messages.splice(row.idx, 1));
        return done(undefined);
      },
      updateMessage: (row) => {
        const messages = this.messages.get(row.conversation_sid);
        const before = messages?.[row.idx];
        if (messages !== undefined && before !== undefined) {
          messages[row.idx] = row;
          this.changed(() => {
            messages[row.idx] = before;
          });
        }
        return done(undefined);
      },
      messagesBefore: (sid, before, limit) => {
        const out: MessageRow[] = [];
        const messages = this.messages.get(sid) ?? [];
        for (let i = Math.min(before, messages.length) - 1; i >= 0 && out.length < limit; i -= 1) {
          const m = messages[i];
          if (m !== undefined && m.removed === 0) out.push(m);
        }
        return done(out);
      },
      messagesAfter: (sid, after, limit) => {
        const out: MessageRow[] = [];
        const messages = this.messages.get(sid) ?? [];
        for (let i = Math.max(0, after + 1); i < messages.length && out.length < limit; i += 1) {
          const m = messages[i];
          if (m !== undefined && m.removed === 0) out.push(m);
        }
        return done(out);
      },
      unreadCount: (sid, lastRead, identity) => {
        let n = 0;
        const messages = this.messages.get(sid) ?? [];
        for (let i = messages.length - 1; i > (lastRead ?? -1); i -= 1) {
          const m = messages[i];
          if (m !== undefined && m.removed === 0 && m.author !== identity) n += 1;
        }
        return done(n);
      },
      insertMedia: (row) => done(this.setIn(this.media, row.sid, { ...row })),
      getMedia: (sid) => done(this.media.get(sid)),
      attachMedia: (sid, messageSid) => {
        const row = this.media.get(sid);
        if (row !== undefined) this.setIn(this.media, sid, { ...row, message_sid: messageSid, delete_after: null });
        return done(undefined);
      },
      releaseMedia: (messageSid, at) => {
        for (const m of this.media.values()) if (m.message_sid === messageSid) this.setIn(this.media, m.sid, { ...m, delete_after: at });
        return done(undefined);
      },
      mediaBytesOf: (identity) => {
        let bytes = 0;
        for (const m of this.media.values()) if (m.author === identity) bytes += m.size;
        return done(bytes);
      },
      dueConversationStates: (now, limit) =>
        done(
          [...this.conversations.values()]
            .filter((c) => (c.inactive_at !== null && c.inactive_at <= now) || (c.closed_at !== null && c.closed_at <= now))
            .slice(0, limit),
        ),
      takeExpiredMedia: (now, limit) => {
        const due = [...this.media.values()].filter((m) => m.delete_after !== null && m.delete_after <= now).slice(0, limit);
        for (const m of due) this.setIn(this.media, m.sid, undefined);
        return done(due);
      },
      getUser: (identity) => done(this.users.get(identity)),
      getUserBySid: (sid) => done([...this.users.values()].find((u) => u.sid === sid)),
      usersPage: (after, limit) =>
        done(
          [...this.users.values()]
            .filter((u) => after === null || u.identity > after)
            .sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0))
            .slice(0, limit),
        ),
      ensureUser: (identity, now, sid) => {
        let user = this.users.get(identity);
        if (user === undefined) {
          user = { identity, sid, friendly_name: null, attributes: '{}', version: 1, created_at: now, role_sid: null };
          this.setIn(this.users, identity, user);
        }
        return done(user);
      },
      updateUser: (row) => done(this.setIn(this.users, row.identity, row)),
      bumpUserVersion: (identity) => {
        const user = this.users.get(identity);
        if (user !== undefined) this.setIn(this.users, identity, { ...user, version: user.version + 1 });
        return done(undefined);
      },
      upsertRegistration: (identity, type, token, now) => {
        const k = key(identity, type, token);
        const prior = this.registrations.get(k);
        this.setIn(this.registrations, k, { identity, type, token, registered_at: prior?.registered_at ?? now, last_seen_at: now });
        return done(undefined);
      },
      deleteRegistration: (identity, type, token) => {
        const k = key(identity, type, token);
        const had = this.registrations.has(k);
        if (had) this.setIn(this.registrations, k, undefined);
        return done(had);
      },
      countRegistrations: (identity) => done([...this.registrations.values()].filter((r) => r.identity === identity).length),
      pushTargets: (sid, author) => {
        const targets: RegistrationRow[] = [];
        for (const id of this.rosters.get(sid)?.values() ?? []) {
          const p = this.participants.get(id)!;
          if (p.identity === author || p.notification_level === 'muted') continue;
          for (const r of this.registrations.values()) if (r.identity === p.identity) targets.push({ identity: r.identity, type: r.type as PushType, token: r.token });
        }
        return done(targets);
      },
      getIdempotency: (identity, k) => {
        const row = this.idempotency.get(key(identity, k));
        return done(row === undefined ? undefined : { op: row.op, args_hash: row.args_hash, result: row.result });
      },
      insertIdempotency: (identity, k, op, argsHash, result, now) =>
        done(this.setIn(this.idempotency, key(identity, k), { op, args_hash: argsHash, result, created_at: now })),
      webhookTargets: (sid, kind) =>
        done(
          [...this.webhooks.values()].filter(
            (w) => w.kind === kind && (w.scope !== 'conversation' || (sid !== null && w.conversation_sid === sid)),
          ),
        ),
      listWebhooks: (scope, sid) =>
        done([...this.webhooks.values()].filter((w) => w.scope === scope && (scope !== 'conversation' || w.conversation_sid === sid))),
      addReaction: (sid, index, emoji, identity) => {
        const byMessage = this.reactions.get(sid) ?? this.created(this.reactions, sid, new Map<number, Map<string, Set<string>>>());
        const byEmoji = byMessage.get(index) ?? this.created(byMessage, index, new Map<string, Set<string>>());
        const identities = byEmoji.get(emoji) ?? this.created(byEmoji, emoji, new Set<string>());
        if (identities.has(identity)) return done(false);
        // Appended last, so taking it out again restores the order exactly.
        identities.add(identity);
        this.changed(() => identities.delete(identity));
        return done(true);
      },
      removeReaction: (sid, index, emoji, identity) => {
        const byEmoji = this.reactions.get(sid)?.get(index);
        const before = byEmoji?.get(emoji);
        if (byEmoji === undefined || before?.has(identity) !== true) return done(false);
        // A copy, so that undoing puts the identity back in its place among the first reactors.
        const after = new Set(before);
        after.delete(identity);
        this.setIn(byEmoji, emoji, after.size === 0 ? undefined : after);
        return done(true);
      },
      firstReactors: (sid, index, emoji, limit) => {
        const first: string[] = [];
        for (const identity of this.reactions.get(sid)?.get(index)?.get(emoji) ?? []) {
          if (first.length >= limit) break;
          first.push(identity);
        }
        return done(first);
      },
      reactionsBy: (sid, identity, from, to) => {
        const found: Array<{ idx: number; emoji: string }> = [];
        const byMessage = this.reactions.get(sid);
        if (byMessage === undefined) return done(found);
        const mine = (idx: number, byEmoji: Map<string, Set<string>>): void => {
          for (const [emoji, identities] of byEmoji) if (identities.has(identity)) found.push({ idx, emoji });
        };
        // A page of messages, or the messages with reactions, whichever is fewer.
        if (to - from + 1 <= byMessage.size) {
          for (let idx = from; idx <= to; idx += 1) {
            const byEmoji = byMessage.get(idx);
            if (byEmoji !== undefined) mine(idx, byEmoji);
          }
        } else {
          for (const [idx, byEmoji] of byMessage) if (idx >= from && idx <= to) mine(idx, byEmoji);
          found.sort((a, b) => a.idx - b.idx);
        }
        return done(found);
      },
      deleteReactions: (sid, index) => {
        const byMessage = this.reactions.get(sid);
        if (byMessage !== undefined) this.setIn(byMessage, index, undefined);
        return done(undefined);
      },
      repliesAfter: (sid, parent, after, limit) =>
        done((this.messages.get(sid) ?? []).filter((m) => m !== undefined && m.reply_to === parent && m.removed === 0 && m.idx > after).slice(0, limit)),
      repliesBefore: (sid, parent, before, limit) =>
        done(
          (this.messages.get(sid) ?? [])
            .filter((m) => m !== undefined && m.reply_to === parent && m.removed === 0 && m.idx < before)
            .reverse()
            .slice(0, limit),
        ),
      listRoles: () => done([...this.roles.values()]),
      putRole: (row) => done(this.setIn(this.roles, row.sid, row)),
      deleteRole: (sid) => done(this.setIn(this.roles, sid, undefined)),
      countRoleHolders: (sid) =>
        done([...this.participants.values()].filter((p) => p.role === sid).length + [...this.users.values()].filter((u) => u.role_sid === sid).length),
      listSettings: () => done([...this.settings].map(([k, value]) => ({ key: k, value }))),
      putSetting: (k, value) => done(this.setIn(this.settings, k, value)),
      getWebhook: (sid) => done(this.webhooks.get(sid)),
      putWebhook: (row) => done(this.setIn(this.webhooks, row.sid, row)),
      deleteWebhook: (sid) => done(this.setIn(this.webhooks, sid, undefined)),
      enqueueDeliveries: (rows) => {
        for (const row of rows) {
          const id = this.nextDeliveryId;
          this.nextDeliveryId += 1;
          this.setIn(this.deliveries, id, { ...row, id });
        }
        return done(undefined);
      },
      claimDeliveries: (now, leaseUntil, limit) => {
        const due = [...this.deliveries.values()].filter((d) => d.next_attempt_at <= now).sort((a, b) => a.id - b.id).slice(0, limit);
        for (const d of due) this.setIn(this.deliveries, d.id, { ...d, next_attempt_at: leaseUntil });
        return done(due);
      },
      deleteDelivery: (id) => done(this.setIn(this.deliveries, id, undefined)),
      retryDelivery: (id, attempts, nextAttemptAt) => {
        const row = this.deliveries.get(id);
        if (row !== undefined) this.setIn(this.deliveries, id, { ...row, attempts, next_attempt_at: nextAttemptAt });
        return done(undefined);
      },
      appendEvent: (event) => done(this.append(event)),
      openMembership: (identity, sid, fromSeq) => {
        const intervals = this.intervals.get(identity) ?? [];
        if (!this.intervals.has(identity)) this.setIn(this.intervals, identity, intervals);
        intervals.push({ sid, from: fromSeq, to: null });
        this.changed(() => intervals.pop());
        return done(undefined);
      },
      closeMembership: (identity, sid, toSeq) => {
        const open = this.intervals.get(identity)?.find((i) => i.sid === sid && i.to === null);
        if (open !== undefined) {
          open.to = toSeq;
          this.changed(() => {
            open.to = null;
          });
        }
        return done(undefined);
      },
      headSeq: () => done(this.head),
      eventsFor: (identity, afterSeq) => done(this.eventsOfAfter(identity, afterSeq)),
      eventsAfter: (afterSeq, limit) => {
        if (afterSeq < this.floor - 1) return done(null);
        const from = firstAfter(this.log, afterSeq);
        return done(this.log.slice(from, from + limit));
      },
    };
  }

  private append(event: NewEvent): LoggedEvent {
    const conversationSid = 'conversation' in event.stream ? event.stream.conversation : null;
    const streamKey = conversationSid === null ? `u:${(event.stream as { user: string }).user}` : `c:${conversationSid}`;
    this.head += 1;
    const identity = conversationSid === null ? (event.stream as { user: string }).user : null;
    const logged: LoggedEvent = { seq: this.head, prev: this.streamHeads.get(streamKey) ?? 0, conversationSid, identity, kind: event.kind, payload: event.payload, at: event.at };
    this.setIn(this.streamHeads, streamKey, logged.seq);
    const logs = conversationSid === null ? this.userLogs : this.conversationLogs;
    const logKey = conversationSid ?? (event.stream as { user: string }).user;
    const list = logs.get(logKey) ?? [];
    if (!logs.has(logKey)) this.setIn(logs, logKey, list);
    list.push(logged);
    this.log.push(logged);
    this.changed(() => {
      list.pop();
      this.log.pop();
      this.head -= 1;
    });
    if (this.undo === null) this.trimToMaxEvents();
    return logged;
  }

  private trimToMaxEvents(): void {
    if (this.log.length > this.maxEvents) this.dropEvents(this.log[this.log.length - this.maxEvents - 1]!.seq);
  }

  private putConversation(row: ConversationRow): void {
    const before = this.conversations.get(row.sid);
    if (before?.unique_name !== undefined && before.unique_name !== null && before.unique_name !== row.unique_name) {
      this.setIn(this.uniqueNames, before.unique_name, undefined);
    }
    if (row.unique_name !== null) this.setIn(this.uniqueNames, row.unique_name, row.sid);
    this.setIn(this.conversations, row.sid, row);
  }

  private roster(maps: Map<string, Map<string, number>>, k: string): Map<string, number> {
    let roster = maps.get(k);
    if (roster === undefined) {
      roster = new Map();
      this.setIn(maps, k, roster);
    }
    return roster;
  }

  private removeParticipant(id: number): void {
    const row = this.participants.get(id);
    if (row === undefined) return;
    this.setIn(this.participants, id, undefined);
    const roster = this.rosters.get(row.conversation_sid);
    if (roster !== undefined) this.setIn(roster, row.identity, undefined);
    const memberships = this.membershipsOf.get(row.identity);
    if (memberships !== undefined) this.setIn(memberships, row.conversation_sid, undefined);
  }

  /** Read-only views of the data, for inspection (the test kit's `state`). */
  get view(): {
    readonly conversations: ReadonlyMap<string, ConversationRow>;
    readonly users: ReadonlyMap<string, UserRow>;
    readonly registrations: readonly StoredRegistration[];
    messages(sid: string): readonly MessageRow[];
  } {
    return {
      conversations: this.conversations,
      users: this.users,
      registrations: [...this.registrations.values()],
      messages: (sid) => this.messages.get(sid) ?? [],
    };
  }
}
