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
import { localBus, type Bus, type BusSignal } from './Bus.js';
import { canonicalJson } from './canonicalJson.js';
import type { Delivery } from './Fanout.js';
import { Fanout } from './Fanout.js';
import { localPresence, type Presence } from './Presence.js';
import type { PushSender } from './PushSender.js';
import { Relay } from './Relay.js';
import { toConversation, toUser, type ConversationRow, type ParticipantRow } from './rows.js';
import { serverError } from './ServerError.js';
import { run, runSync, wait, type Step } from './Step.js';
import type { EventStream, LoggedEvent, Store, StoreTx, WebhookRow } from './Store.js';
import type { PostEvent, PreEvent, WriteOrigin } from './webhookEvents.js';
import { changesOf, type PreHookCaller } from './preHooks.js';
import { AccessRules, type Permission } from './roles.js';
import { dueState, nextDeadline, withTimersFrom } from './conversationState.js';
import { announceChange } from './ops/conversationOps.js';
export { eventFrame } from './eventFrame.js';

/** Prefixes of the sids the core makes. */
export type SidPrefix = 'CH' | 'MB' | 'IM' | 'CN' | 'US' | 'WH' | 'ME' | 'RL';

/** The logging the core does; a pino logger fits. */
export interface CoreLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  isLevelEnabled(level: string): boolean;
  child(bindings: Record<string, unknown>): CoreLogger;
}

/** Options of {@link Core}: the store, time, ids and the outside world, all injected. */
export interface CoreOptions {
  readonly store: Store;
  /** Epoch milliseconds. */
  readonly clock: () => number;
  /** A new unique sid with the prefix. */
  readonly newSid: (prefix: SidPrefix) => string;
  /** Digest of an idempotent request's canonical arguments. Default: the canonical text itself. */
  readonly hash?: (canonical: string) => string;
  readonly logger?: CoreLogger;
  /** Where pushes go for participants with no live connection. Default: none are sent. */
  readonly pushSender?: PushSender;
  /** Runs work after the current turn (push expansion, off the sender's path). Default: at once. */
  readonly defer?: (work: () => void) => void;
  /** How this node hears of other nodes' commits and signals. Default: none (a single node). */
  readonly bus?: Bus;
  /** Who is online across nodes. Default: this node's own connections. */
  readonly presence?: Presence;
  /** Called after a write that queued post-event webhooks commits (the server's dispatcher wakes up). */
  readonly webhooksQueued?: () => void;
  /** Calls the app's pre-event webhooks (ADMIN-3). Default: none are called. */
  readonly callPreHook?: PreHookCaller;
  /**
   * Whether users see each other's reachability (`isOnline`, PARITY-4). Off, every user shows offline
   * and no one is told when someone connects; push still goes only to users connected nowhere.
   * Default true.
   */
  readonly reachabilityEnabled?: boolean;
  /**
   * Called after a commit that scheduled media for deletion (a removed message or conversation), so
   * the server deletes their bytes soon instead of at its next sweep (MEDIA-4). Default: nothing.
   */
  readonly onMediaReleased?: () => void;
  /**
   * Called after a commit that started a conversation's state timer, with when the earliest of them runs
   * out (PARITY-1): the test kit schedules {@link Core.advanceStates} then. The server sweeps every second
   * instead. Default: nothing.
   */
  readonly onStateDeadline?: (at: number) => void;
  /**
   * Where messages for non-chat participants (SMS, WhatsApp, email) go (PARITY-2): one signed POST per
   * bridged recipient of each message, through the webhook outbox (at least once). Default: none.
   */
  readonly bridgeUrl?: string;
}

/** How long a node trusts the pre-event webhook configuration it read (another node may change it). */
const PRE_HOOK_CONFIG_TTL_MS = 1000;
/** How long a node trusts the roles it read: a role changed on another node applies here within this. */
const ACCESS_RULES_TTL_MS = 1000;

/** Whose writes the state timers make (never a user's identity: it holds a control character). */
const TIMER_IDENTITY = '\u001ftimers';
/** The state timers' writes fire post-event webhooks as the API's do when asked. */
const TIMER_ORIGIN: WriteOrigin = { source: 'API', webhooks: true };

/** An SDK user's write: it fires post-event webhooks, with `Source: SDK`. */
const SDK_ORIGIN: WriteOrigin = { source: 'SDK', webhooks: true };

/** Collects a write's events inside its transaction and what to do once it commits. */
export interface WriteBatch {
  /** The write's timestamp. */
  readonly now: number;
  readonly tx: StoreTx;
  /**
   * Appends one event to a stream, serialised once. `membership` records the membership change it
   * makes: `join` opens the user's interval on the conversation at this event, `leave` closes it,
   * `end` closes every member's (a deleted conversation).
   */
  emit<K extends EventKind>(stream: EventStream, kind: K, data: Events[K], membership?: Delivery['membership']): Step<LoggedEvent>;
  /** Runs after commit (push, signals), after the events are queued. */
  afterCommit(effect: () => Step<void>): void;
  /**
   * Queues the post-event webhook `event` in this transaction, for every target whose filters name it
   * (ADMIN-3). `fields` is only built when some target wants the event.
   */
  webhook(event: PostEvent, conversationSid: string | null, fields: () => Step<Record<string, string>>): Step<void>;
  /** Notes that a conversation state timer now runs out at `at` (PARITY-1); null: none. */
  deadline(at: number | null): void;
  /** Queues one signed POST to `url` in this transaction's outbox, delivered at least once (the bridge, PARITY-2). */
  deliver(url: string, params: Record<string, string>): Step<void>;
}

const PUSH_BODY_CHARS = 256;

const NO_LOG: CoreLogger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  isLevelEnabled: () => false,
  child: () => NO_LOG,
};

/**
 * The server's behaviour over any store (CORE-1): every write follows one rule — apply, append events,
 * commit, then queue events to live connections, then reply (PERF-4, STORE-6). Knows neither storage
 * nor transport; the server and the test kit's `FakeServer` run this same class.
 */
export class Core {
  readonly fanout = new Fanout();
  /** Delivers committed events to this node's connections in log order, whichever node wrote them. */
  readonly relay: Relay;
  readonly store: Store;
  readonly clock: () => number;
  readonly newSid: (prefix: SidPrefix) => string;
  readonly logger: CoreLogger;
  private readonly hash: (canonical: string) => string;
  private readonly pushSender: PushSender | undefined;
  private readonly defer: (work: () => void) => void;
  private readonly pendingPushes = new Set<Promise<void>>();
  private readonly bus: Bus;
  private readonly presence: Presence;
  private readonly webhooksQueued: () => void;
  private readonly callPreHook: PreHookCaller | undefined;
  /** Where messages for bridged participants go (PARITY-2), if anywhere. */
  readonly bridgeUrl: string | undefined;
  /** Whether `isOnline` is shown to users (PARITY-4); presence itself is always kept, for push. */
  readonly reachabilityEnabled: boolean;
  private preHookTargets: { readonly rows: WebhookRow[]; readonly at: number } | undefined;
  private access: { readonly rules: AccessRules; readonly at: number } | undefined;
  private readonly onMediaReleased: () => void;
  private readonly onStateDeadline: (at: number) => void;

  constructor(options: CoreOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.newSid = options.newSid;
    this.hash = options.hash ?? ((text) => text);
    this.logger = options.logger ?? NO_LOG;
    this.pushSender = options.pushSender;
    this.defer = options.defer ?? ((work) => work());
    this.bus = options.bus ?? localBus;
    this.presence = options.presence ?? localPresence(this.fanout);
    this.webhooksQueued = options.webhooksQueued ?? (() => {});
    this.callPreHook = options.callPreHook;
    this.reachabilityEnabled = options.reachabilityEnabled ?? true;
    this.bridgeUrl = options.bridgeUrl;
    this.onMediaReleased = options.onMediaReleased ?? (() => {});
    this.onStateDeadline = options.onStateDeadline ?? (() => {});
    // An embedded store knows its head now; a networked one is read in start().
    const head = this.store.synchronous ? runSync(this.store.read((tx) => tx.headSeq())) : 0;
    this.relay = new Relay(this.store, this.fanout, this.logger, head);
    this.bus.listen({
      events: (events) => this.relay.ingest(events),
      signal: (signal) => this.deliverSignal(signal),
      reconnected: () => void this.relay.poll(),
    });
  }

  /** Reads where the log stands (networked stores): live delivery starts from there. */
  async start(): Promise<void> {
    this.relay.startAt(await run(this.store.read((tx) => tx.headSeq())));
  }

  /**
   * Runs a write as one transaction. With an idempotency key, a repeat of the same op and arguments
   * returns the stored result and emits nothing; the key with anything else is a conflict (SRV-5).
   * Events are queued to live connections only after commit, and before the caller queues its reply.
   */
  *write<R>(identity: string, op: OpName | `roles.${string}`, args: object, body: (batch: WriteBatch) => Step<R>, origin: WriteOrigin = SDK_ORIGIN): Step<R> {
    const key = (args as { idempotencyKey?: string }).idempotencyKey;
    const now = this.clock();
    const events: LoggedEvent[] = [];
    const effects: Array<() => Step<void>> = [];
    const hash = this.hash;
    const targets = new Map<string, WebhookRow[]>();
    let webhooksQueued = false;
    let deadline = Number.POSITIVE_INFINITY;
    const result = yield* this.store.write(function* (tx: StoreTx): Step<R> {
      const batch: WriteBatch = {
        now,
        tx,
        *emit(stream, kind, data, membership) {
          const event = yield* tx.appendEvent({ stream, kind, payload: JSON.stringify(data), at: now });
          const target = 'user' in stream ? stream.user : null;
          if (membership !== undefined && target !== null && 'join' in membership) yield* tx.openMembership(target, membership.join, event.seq);
          if (membership !== undefined && target !== null && 'leave' in membership) yield* tx.closeMembership(target, membership.leave, event.seq);
          if (membership !== undefined && 'end' in membership) {
            for (const p of yield* tx.listParticipants(membership.end)) yield* tx.closeMembership(p.identity, membership.end, event.seq);
          }
          events.push(event);
          return event;
        },
        afterCommit: (effect) => effects.push(effect),
        deadline: (at) => {
          if (at !== null) deadline = Math.min(deadline, at);
        },
        *deliver(url, params) {
          yield* tx.enqueueDeliveries([{ url, method: 'POST', params: JSON.stringify(params), attempts: 0, next_attempt_at: now, created_at: now }]);
          webhooksQueued = true;
        },
        *webhook(event, conversationSid, fields) {
          if (!origin.webhooks) return;
          const scope = conversationSid ?? '';
          let found = targets.get(scope);
          if (found === undefined) {
            found = yield* tx.webhookTargets(conversationSid, 'post');
            targets.set(scope, found);
          }
          const wanted = found.filter((target) => (JSON.parse(target.filters) as string[]).includes(event));
          if (wanted.length === 0) return;
          const who = origin.source === 'SDK' ? { ClientIdentity: identity } : {};
          const params = JSON.stringify({ EventType: event, Source: origin.source, ...who, ...(yield* fields()) });
          yield* tx.enqueueDeliveries(wanted.map((t) => ({ url: t.url, method: t.method, params, attempts: 0, next_attempt_at: now, created_at: now })));
          webhooksQueued = true;
        },
      };
      if (key === undefined) return yield* body(batch);
      const argsHash = hash(canonicalJson({ ...args, idempotencyKey: undefined }));
      const prior = yield* tx.getIdempotency(identity, key);
      if (prior !== undefined) {
        if (prior.op !== op || prior.args_hash !== argsHash) {
          throw serverError('idempotency_key_conflict', 'this idempotency key was used for another operation or arguments');
        }
        events.length = 0;
        return JSON.parse(prior.result) as R;
      }
      const value = yield* body(batch);
      yield* tx.insertIdempotency(identity, key, op, argsHash, JSON.stringify(value), now);
      return value;
    });
    if (events.length > 0) {
      this.bus.publishEvents(events);
      this.relay.ingest(events);
      yield* this.relay.reached(events[events.length - 1]!.seq);
    }
    for (const effect of effects) this.runEffect(effect, op);
    if (webhooksQueued) this.webhooksQueued();
    if (deadline !== Number.POSITIVE_INFINITY) this.onStateDeadline(deadline);
    return result;
  }

  /**
   * Asks the app's pre-event webhooks about an SDK action before it is written (ADMIN-3): `fields` reads
   * (and checks the caller may act: nobody's webhook hears of a refused action) and names the action in
   * Twilio's fields. A 4xx or 5xx answer refuses it with `webhook_rejected`; a 200 with JSON returns the
   * changes asked for; no answer in time allows it. Null when nothing is to change. No webhook: no read.
   */
  *preEvent(event: PreEvent, identity: string, fields: (tx: StoreTx) => Step<Record<string, string>>): Step<Record<string, unknown> | null> {
    const call = this.callPreHook;
    if (call === undefined) return null;
    const now = this.clock();
    if (this.preHookTargets === undefined || now - this.preHookTargets.at > PRE_HOOK_CONFIG_TTL_MS) {
      this.preHookTargets = { rows: yield* this.store.read((tx) => tx.webhookTargets(null, 'pre')), at: now };
    }
    const wanted = this.preHookTargets.rows.filter((target) => (JSON.parse(target.filters) as string[]).includes(event));
    if (wanted.length === 0) return null;
    const params = { EventType: event, Source: 'SDK', ClientIdentity: identity, ...(yield* this.store.read(fields)) };
    let changes: Record<string, unknown> | null = null;
    for (const target of wanted) {
      const answer = (yield* wait(call({ url: target.url, method: target.method, params }))) as Awaited<ReturnType<PreHookCaller>>;
      if (answer === null || answer.status < 200) continue;
      if (answer.status >= 400) throw serverError('webhook_rejected', `the app's ${event} webhook refused this action`, { status: answer.status });
      const asked = answer.status < 300 ? changesOf(answer) : null;
      if (asked !== null) changes = { ...(changes ?? {}), ...asked };
    }
    return changes;
  }

  /**
   * Moves conversations whose timers ran out to `inactive` or `closed` (PARITY-1), on the core's clock,
   * whether or not anyone is connected: the server calls it every second, the test kit on its
   * scheduler. Each change is one write that rereads the row, so several nodes sweeping at once change
   * each conversation once. Returns how many changed.
   */
  *advanceStates(limit = 100): Step<number> {
    const due = yield* this.store.read((tx) => tx.dueConversationStates(this.clock(), limit));
    let changed = 0;
    for (const candidate of due) {
      const moved = yield* this.write(TIMER_IDENTITY, 'conversations.update', { sid: candidate.sid }, function* (batch) {
        const row = yield* batch.tx.getConversation(candidate.sid);
        const state = row === undefined ? null : dueState(row, batch.now);
        if (row === undefined || state === null) return false;
        const next = withTimersFrom({ ...row, state, state_updated_at: batch.now, version: row.version + 1, updated_at: batch.now }, batch.now);
        // The closed timer still runs while inactive: keep its deadline rather than restart it.
        next.closed_at = state === 'inactive' ? row.closed_at : next.closed_at;
        batch.deadline(nextDeadline(next));
        yield* announceChange(batch, row, next, ['state'], 'Timer');
        return true;
      }, TIMER_ORIGIN);
      if (moved) changed += 1;
    }
    return changed;
  }

  /** The webhook configuration changed on this node: read it again before the next action. */
  webhookConfigChanged(): void {
    this.preHookTargets = undefined;
  }

  /** Reads consistently (one transaction) with the log head, for `asOfSeq`. */
  *read<R>(body: (tx: StoreTx) => Step<R>): Step<{ value: R; asOfSeq: number }> {
    return yield* this.store.read(function* (tx) {
      const value = yield* body(tx);
      return { value, asOfSeq: yield* tx.headSeq() };
    });
  }

  *findConversation(tx: StoreTx, ref: ConversationRef): Step<ConversationRow> {
    const row = 'sid' in ref && ref.sid !== undefined
      ? yield* tx.getConversation(ref.sid)
      : yield* tx.getConversationByUniqueName((ref as { uniqueName: string }).uniqueName);
    if (row === undefined) throw serverError('conversation_not_found', 'no conversation has this sid or unique name');
    return row;
  }

  /** The caller's participant row, or `not_a_participant` (SRV-3: only participants read or write). */
  *requireParticipant(tx: StoreTx, conversation: ConversationRow, identity: string): Step<ParticipantRow> {
    const participant = yield* tx.getParticipant(conversation.sid, identity);
    if (participant === undefined) throw serverError('not_a_participant', 'only participants may do this');
    return participant;
  }

  /**
   * The roles and role defaults (ADMIN-4), read at most once a second per node; a change made on this
   * node applies at once ({@link Core.accessChanged}).
   */
  *accessRules(tx: StoreTx): Step<AccessRules> {
    const now = this.clock();
    if (this.access === undefined || now - this.access.at > ACCESS_RULES_TTL_MS || now < this.access.at) {
      const settings = new Map((yield* tx.listSettings()).map((row) => [row.key, row.value] as const));
      this.access = { rules: new AccessRules(yield* tx.listRoles(), settings), at: now };
    }
    return this.access.rules;
  }

  /** A role or role default changed on this node: read them again before the next check. */
  accessChanged(): void {
    this.access = undefined;
  }

  /**
   * The caller's participant row, once their roles grant every one of `permissions` here:
   * `not_a_participant` or `permission_denied` (naming the first one missing) otherwise. The
   * conversation role is checked first; the user's service role only when it lacks something.
   */
  *authorize(tx: StoreTx, conversation: ConversationRow, identity: string, ...permissions: Permission[]): Step<ParticipantRow> {
    const participant = yield* this.requireParticipant(tx, conversation, identity);
    yield* this.requirePermissions(tx, identity, participant, permissions);
    return participant;
  }

  /** Throws `permission_denied` unless the user's conversation role (if any) and service role grant all of `permissions`. */
  *requirePermissions(tx: StoreTx, identity: string, participant: ParticipantRow | null, permissions: readonly Permission[]): Step<void> {
    if (permissions.length === 0) return;
    const rules = yield* this.accessRules(tx);
    const held = participant === null ? undefined : rules.permissionsOf(participant.role);
    const missing = held === undefined ? permissions : permissions.filter((p) => !held.has(p));
    if (missing.length === 0) return;
    const service = rules.permissionsOf((yield* tx.getUser(identity))?.role_sid ?? rules.defaults.service);
    const denied = missing.find((p) => !service.has(p));
    if (denied !== undefined) throw serverError('permission_denied', `the caller's roles lack ${denied}`, { permission: denied });
  }

  /** The conversation as one participant sees it. */
  *conversationFor(tx: StoreTx, row: ConversationRow, participant: ParticipantRow): Step<Conversation> {
    return toConversation(row, participant, yield* tx.unreadCount(row.sid, participant.last_read_message_index, participant.identity));
  }

  *user(tx: StoreTx, identity: string): Step<User | undefined> {
    const row = yield* tx.getUser(identity);
    if (row === undefined) return undefined;
    return toUser(row, yield* this.shownOnline(identity), (yield* tx.countRegistrations(identity)) > 0);
  }

  /** Online on any node (SCALE-4): what push decides by, whether or not users may see it. */
  isOnline(identity: string): Step<boolean> {
    return this.presence.isOnline(identity);
  }

  /** `isOnline` as users see it: always false with reachability off (PARITY-4). */
  *shownOnline(identity: string): Step<boolean> {
    return this.reachabilityEnabled && (yield* this.isOnline(identity));
  }

  /** Sends an ephemeral frame to its recipients on this node and on every other. */
  signal(signal: BusSignal): void {
    this.deliverSignal(signal);
    this.bus.publishSignal(signal);
  }

  private deliverSignal(signal: BusSignal): void {
    if (signal.to === 'members') this.fanout.sendToMembers(signal.conversationSid, signal.frame, signal.except);
    else this.fanout.sendToWatchers(signal.identity, signal.frame);
  }

  /** Tells watchers a user changed (ephemeral `sig userUpdated`). */
  *signalUser(identity: string, updateReasons: UserUpdateReason[]): Step<void> {
    const user = yield* this.store.read((tx) => this.user(tx, identity));
    if (user === undefined) return;
    this.signal({ to: 'watchers', identity, frame: JSON.stringify({ type: 'sig', kind: 'userUpdated', data: { user, updateReasons } }) });
  }

  /**
   * Reachability flipped (first connection opened or last one closed): bump the user's version so the
   * change wins over older snapshots, and tell watchers.
   */
  reachabilityChanged(identity: string): void {
    this.presence.changed(identity, this.fanout.isOnline(identity));
    if (!this.reachabilityEnabled) return;
    const core = this;
    this.runEffect(function* () {
      yield* core.store.write((tx) => tx.bumpUserVersion(identity));
      yield* core.signalUser(identity, ['isOnline']);
    }, 'reachability');
  }

  /**
   * After a `messageAdded` commit: push to participants with no live connection (SRV-3). Expanding the
   * targets reads every participant, so it is deferred: the sender's reply does not wait for it.
   */
  pushNewMessage(conversation: ConversationRow, message: Message): void {
    const sender = this.pushSender;
    if (sender === undefined) return;
    this.defer(() => {
      const core = this;
      this.runEffect(function* () {
        const targets = yield* core.store.read((tx) => tx.pushTargets(conversation.sid, message.author));
        for (const target of targets) {
          if (yield* core.isOnline(target.identity)) continue;
          core.track(sender, {
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
          });
        }
      }, 'push');
    });
  }

  /** A commit scheduled media for deletion: lets the server delete the bytes soon (MEDIA-4). */
  mediaReleased(): void {
    this.onMediaReleased();
  }

  /** Resolves once every push handed to the sender so far has settled. */
  async drainPushes(): Promise<void> {
    while (this.pendingPushes.size > 0) await Promise.all(this.pendingPushes);
  }

  /** Runs after-commit work; its failure is logged, never thrown into the write that committed. */
  private runEffect(effect: () => Step<void>, what: string): void {
    const failed = (err: unknown) => this.logger.error({ err, what }, 'after-commit effect failed');
    try {
      const outcome = run(effect());
      if (outcome instanceof Promise) outcome.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  private track(sender: PushSender, delivery: PushDelivery): void {
    // The sender is called now (an async function runs to its first await); its failure is logged.
    const sending = (async () => sender.send(delivery))()
      .catch((err: unknown) => this.logger.warn({ err, identity: delivery.identity, type: delivery.type }, 'push delivery failed'))
      .finally(() => this.pendingPushes.delete(sending));
    this.pendingPushes.add(sending);
  }
}
