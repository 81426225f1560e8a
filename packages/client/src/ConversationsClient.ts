import { asyncScheduler, distinctUntilChanged, filter, firstValueFrom, map, Subject, type Observable } from 'rxjs';
import type { Conversation, ConversationRef, JsonValue, Participant, PushType, User } from '@rx-conversations/protocol';
import { LIMITS } from '@rx-conversations/protocol';
import type { ClientOptions } from './ClientOptions.js';
import type { ConnectionState } from './ConnectionState.js';
import { ConversationsError } from './ConversationsError.js';
import type { SynchronizationStatus } from './SynchronizationStatus.js';
import type {
  ConversationUpdatedEvent,
  Discontinuity,
  MessageRemovedEvent,
  MessageUpdatedEvent,
  ParticipantLeftEvent,
  ParticipantUpdatedEvent,
  TypingEvent,
  UserUpdatedEvent,
} from './ClientEvents.js';
import type { Message } from '@rx-conversations/protocol';
import { ConversationHandle } from './ConversationHandle.js';
import { UserHandle } from './UserHandle.js';
import type { Paginator } from './Paginator.js';
import { ClientCore } from './internal/core/ClientCore.js';
import type { TokenExpiryNotice } from './internal/core/TokenLifecycle.js';
import type { Session } from './internal/Session.js';
import { DEFAULT_STORE_OPTIONS, StoreRuntime } from './internal/store/StoreRuntime.js';
import { HandleCache } from './internal/HandleCache.js';
import { crGet, crKeys } from './internal/store/chunkedRecord.js';
import type { ConversationsSlice } from './internal/store/StoreState.js';
import { newIdempotencyKey } from './internal/newIdempotencyKey.js';
import { whenSynchronized } from './operators/whenSynchronized.js';
import { defaultStorage, type KeyValueStorage } from './push/KeyValueStorage.js';
import { PushRegistrar } from './push/PushRegistrar.js';
import { parsePushNotification, type PushNotification } from './push/parsePushNotification.js';
import type { PersistenceLink } from './persistence/ClientPersistence.js';
import type { TabSharing } from './tabs/TabSharing.js';

/**
 * Options of `new ConversationsClient(token, options)`: the connection's ({@link ClientOptions}) and
 * the store's. Invalid values throw `TypeError` synchronously.
 *
 * @example
 * const client = new ConversationsClient(token, { url: 'wss://chat.example.com', counterTtlMs: 5_000 });
 */
export interface ConversationsClientOptions extends ClientOptions {
  /** TTL of the counters' cache (STORE-8). Default 10,000 ms. */
  readonly counterTtlMs?: number;
  /** A typist leaves `typing$` this long after their last signal (STORE-9). Default 5,000 ms. */
  readonly typingTimeoutMs?: number;
  /** `typing()` sends at most one signal per this period. Default 3,000 ms. */
  readonly typingThrottleMs?: number;
  /** Message windows and rosters nobody observes are trimmed/dropped after this long (STORE-12). Default 60,000 ms. */
  readonly windowGraceMs?: number;
  /** Messages an unobserved window keeps when trimmed. Default 100. */
  readonly windowKeepMessages?: number;
  /**
   * Messages a conversation's `messages$` window holds at most, observed or not (STORE-12): live
   * messages push the oldest out (`loadOlder()` fetches them again); scrolling back with `loadOlder()`
   * pushes the newest out and detaches the window from the live end until `loadNewer()` reaches it
   * again. Optimistic sends are never dropped. An integer ≥ 1, or `Infinity` for no bound. Default 2,000.
   */
  readonly maxWindowMessages?: number;
  /**
   * Messages the first subscription to a conversation's `messages$` loads when its window holds none
   * (ROBUST-4): subscribing is asking. An integer from 0 to 100; 0 turns it off (then history comes
   * only from `loadOlder()`). Default 30.
   */
  readonly initialPageSize?: number;
  /** Where the last push registration is remembered (STORE-11). Default `localStorage` when present, else memory. */
  readonly storage?: KeyValueStorage;
  /**
   * Tabs of the same identity and server share one websocket (OFFLINE-3): `shareAcrossTabs()` from
   * `@rx-conversations/client/tabs`. Default: each client has its own.
   */
  readonly tabs?: TabSharing;
}

/**
 * The connection core as the facade uses it: the store's {@link Session} plus the lifecycle surface.
 * @internal
 */
export type ClientCoreLike = Session &
  Pick<ClientCore, 'tokenAboutToExpire$' | 'tokenExpired$' | 'connectionError$' | 'updateToken' | 'shutdown'> &
  Partial<Pick<ClientCore, 'lastAppliedSeq' | 'resumeFrom' | 'token'>>;

function storeSetting(options: ConversationsClientOptions, name: Exclude<keyof typeof DEFAULT_STORE_OPTIONS, 'maxWindowMessages' | 'initialPageSize'>): number {
  const value = (options as unknown as Record<string, unknown>)[name];
  if (value === undefined) return DEFAULT_STORE_OPTIONS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`ConversationsClient: options.${name} must be a non-negative finite number`);
  }
  return value;
}

function maxWindowMessages(options: ConversationsClientOptions): number {
  const value = (options as unknown as Record<string, unknown>)['maxWindowMessages'];
  if (value === undefined) return DEFAULT_STORE_OPTIONS.maxWindowMessages;
  if (value !== Infinity && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) {
    throw new TypeError('ConversationsClient: options.maxWindowMessages must be an integer ≥ 1, or Infinity');
  }
  return value;
}

function initialPageSize(options: ConversationsClientOptions): number {
  const value = (options as unknown as Record<string, unknown>)['initialPageSize'] ?? DEFAULT_STORE_OPTIONS.initialPageSize;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > LIMITS.maxMessagesPageSize) {
    throw new TypeError(`ConversationsClient: options.initialPageSize must be an integer from 0 to ${LIMITS.maxMessagesPageSize}`);
  }
  return value;
}

function resolveStorage(value: unknown): KeyValueStorage {
  if (value === undefined) return defaultStorage();
  const s = value as Partial<KeyValueStorage> | null;
  if (s === null || typeof s !== 'object' || typeof s.getItem !== 'function' || typeof s.setItem !== 'function' || typeof s.removeItem !== 'function') {
    throw new TypeError('ConversationsClient: options.storage must have getItem, setItem and removeItem functions');
  }
  return s as KeyValueStorage;
}

/**
 * The reactive conversations client: every chat concept as a hot observable over one store fed by
 * one websocket (SPEC §4). Construct it and it connects; `shutdown()` ends it for good.
 *
 * @example
 * import WebSocket from 'ws'; // Node only
 * const client = new ConversationsClient(token, { url: 'ws://127.0.0.1:8080', WebSocket });
 * client.conversations$.subscribe((list) => renderSidebar(list));
 * await client.whenSynchronized();
 * const conversation = client.conversation(list[0].sid);
 * await conversation.sendMessage('hello');
 */
export class ConversationsClient {
  /** `'connecting' | 'connected' | 'disconnecting' | 'disconnected' | 'denied'`; replays the current one (CONN-2). */
  readonly connectionState$: Observable<ConnectionState>;
  /**
   * `'started' → 'conversationsListCompleted' → 'completed'` (or `'failed'`, after which the
   * synchronisation is tried again with back-off: ROBUST-3); replays the current one (CONN-6).
   */
  readonly synchronization$: Observable<SynchronizationStatus>;
  /** The token expires within the lead time (CONN-7); call `updateToken`. */
  readonly tokenAboutToExpire$: Observable<TokenExpiryNotice>;
  /** The token expired or was refused (CONN-7). */
  readonly tokenExpired$: Observable<void>;
  /** Why a connection was refused or closed (CONN-10). */
  readonly connectionError$: Observable<ConversationsError>;
  /** The server could not replay what was missed; the client re-read its state (CONN-5). */
  readonly discontinuity$: Observable<Discontinuity>;
  /**
   * The subscribed conversations, de-duplicated, most recent activity first (STORE-2). Replays the
   * current list to every subscriber, whenever it subscribes.
   */
  readonly conversations$: Observable<readonly Conversation[]>;
  /** The user's own profile; replays the current one (STORE-10). */
  readonly user$: Observable<User>;
  /**
   * True while what the client shows came from the persistent cache (`options.persistence`) and the
   * server has not confirmed it yet: until the session resumes from the cache's position, or a full
   * synchronisation has replaced the cache (OFFLINE-1). Always false without persistence. Replays the
   * current value.
   */
  readonly cached$: Observable<boolean>;

  /** STORE-3 event streams: for those who prefer events to state. */
  readonly conversationAdded$: Observable<Conversation>;
  readonly conversationUpdated$: Observable<ConversationUpdatedEvent>;
  readonly conversationRemoved$: Observable<Conversation>;
  readonly conversationJoined$: Observable<Conversation>;
  readonly conversationLeft$: Observable<Conversation>;
  readonly messageAdded$: Observable<Message>;
  readonly messageUpdated$: Observable<MessageUpdatedEvent>;
  readonly messageRemoved$: Observable<MessageRemovedEvent>;
  readonly participantJoined$: Observable<Participant>;
  readonly participantLeft$: Observable<ParticipantLeftEvent>;
  readonly participantUpdated$: Observable<ParticipantUpdatedEvent>;
  readonly typingStarted$: Observable<TypingEvent>;
  readonly typingEnded$: Observable<TypingEvent>;
  readonly userUpdated$: Observable<UserUpdatedEvent>;
  /**
   * The identity of a user this client starts watching (someone subscribed to their handle's `state$`),
   * and of one it stops watching (PARITY-4, Twilio's `userSubscribed` / `userUnsubscribed`).
   */
  readonly userSubscribed$: Observable<string>;
  readonly userUnsubscribed$: Observable<string>;
  /** Notifications passed to `handlePushNotification` (STORE-11). */
  readonly pushNotification$: Observable<PushNotification>;

  private readonly core: ClientCoreLike;
  private readonly runtime: StoreRuntime;
  private readonly conversationHandles: HandleCache<ConversationHandle>;
  private readonly userHandles: HandleCache<UserHandle>;
  private readonly push: PushRegistrar;
  private readonly pushSubject = new Subject<PushNotification>();
  private readonly persisted: PersistenceLink | undefined;

  /**
   * Connects at once (CONN-1). Throws `TypeError` for invalid options; never throws later for
   * network or token reasons (watch `connectionState$` and `connectionError$`).
   */
  constructor(token: string, options: ConversationsClientOptions);
  /** @internal Tests: a client over a given core (a fake session). */
  constructor(core: ClientCoreLike, options: Omit<ConversationsClientOptions, 'url'> & { url?: string }, internal: 'core');
  constructor(tokenOrCore: string | ClientCoreLike, options: ConversationsClientOptions, internal?: 'core') {
    if (options === null || typeof options !== 'object') throw new TypeError('ConversationsClient: options are required');
    const settings = {
      counterTtlMs: storeSetting(options, 'counterTtlMs'),
      typingTimeoutMs: storeSetting(options, 'typingTimeoutMs'),
      typingThrottleMs: storeSetting(options, 'typingThrottleMs'),
      windowGraceMs: storeSetting(options, 'windowGraceMs'),
      windowKeepMessages: storeSetting(options, 'windowKeepMessages'),
      maxWindowMessages: maxWindowMessages(options),
      initialPageSize: initialPageSize(options),
    };
    const storage = resolveStorage(options.storage);
    const persistence = options.persistence;
    if (persistence !== undefined && typeof (persistence as { attach?: unknown } | null)?.attach !== 'function') {
      throw new TypeError('ConversationsClient: options.persistence must come from a persistence factory');
    }
    const tabs = options.tabs;
    if (tabs !== undefined && typeof tabs?.connect !== 'function') throw new TypeError('options.tabs is not from shareAcrossTabs');
    const open = (token: string): ClientCore => new ClientCore(token, options);
    const core = internal === 'core' ? (tokenOrCore as ClientCoreLike) : tabs ? tabs.connect(tokenOrCore as string, options, open) : open(tokenOrCore as string);
    this.core = core;
    this.runtime = new StoreRuntime(core, {
      ...settings,
      scheduler: options.scheduler ?? asyncScheduler,
      random: options.random,
      onError: (message, error) => options.logger?.warn(message, { error: String(error) }),
    }).start();
    const store = this.runtime.store;
    const events = this.runtime.events;

    this.connectionState$ = core.connectionState$;
    this.tokenAboutToExpire$ = core.tokenAboutToExpire$;
    this.tokenExpired$ = core.tokenExpired$;
    this.connectionError$ = core.connectionError$;
    this.discontinuity$ = this.runtime.discontinuity$.asObservable();
    this.synchronization$ = store.state$.pipe(map((s) => s.sync.status), distinctUntilChanged());
    let lastSlice: ConversationsSlice | undefined;
    let lastList: readonly Conversation[] = [];
    this.conversations$ = store.state$.pipe(
      map((s) => s.conversations),
      distinctUntilChanged(),
      map((slice) => {
        if (slice.ids !== lastSlice?.ids || slice.entities !== lastSlice.entities) {
          lastList = Object.freeze(slice.ids.map((sid) => crGet(slice.entities, sid)!));
        }
        lastSlice = slice;
        return lastList;
      }),
      distinctUntilChanged(),
    );
    this.user$ = store.state$.pipe(
      map((s) => s.me.user),
      filter((u): u is User => u !== null),
      distinctUntilChanged(),
    );
    this.cached$ = store.state$.pipe(map((s) => s.sync.cached), distinctUntilChanged());
    this.conversationAdded$ = events.conversationAdded.asObservable();
    this.conversationUpdated$ = events.conversationUpdated.asObservable();
    this.conversationRemoved$ = events.conversationRemoved.asObservable();
    this.conversationJoined$ = events.conversationJoined.asObservable();
    this.conversationLeft$ = events.conversationLeft.asObservable();
    this.messageAdded$ = events.messageAdded.asObservable();
    this.messageUpdated$ = events.messageUpdated.asObservable();
    this.messageRemoved$ = events.messageRemoved.asObservable();
    this.participantJoined$ = events.participantJoined.asObservable();
    this.participantLeft$ = events.participantLeft.asObservable();
    this.participantUpdated$ = events.participantUpdated.asObservable();
    this.typingStarted$ = events.typingStarted.asObservable();
    this.typingEnded$ = events.typingEnded.asObservable();
    this.userUpdated$ = events.userUpdated.asObservable();
    this.userSubscribed$ = events.userSubscribed.asObservable();
    this.userUnsubscribed$ = events.userUnsubscribed.asObservable();
    this.pushNotification$ = this.pushSubject.asObservable();
    if (options.media !== undefined && typeof options.media?.start !== 'function') throw new TypeError('options.media is not from createMediaSupport');
    const media = options.media?.start({ url: options.url, token: () => core.token ?? '', scheduler: this.runtime.scheduler, closed$: this.runtime.closed$ });
    this.conversationHandles = new HandleCache((sid) => new ConversationHandle(sid, this.runtime, media));
    this.userHandles = new HandleCache<UserHandle>();
    this.push = new PushRegistrar(this.runtime, storage);
    this.persisted = persistence?.attach({ options, core, runtime: this.runtime, client: this });
  }

  /** The identity of the token. */
  get identity(): string {
    return this.core.identity;
  }

  /** Resolves when `synchronization$` reaches `'completed'`; rejects if it fails or the client shuts down (CONN-6). */
  whenSynchronized(): Promise<void> {
    return firstValueFrom(this.synchronization$.pipe(whenSynchronized()));
  }

  /** Swaps the token on the open socket without reconnecting (CONN-7). */
  updateToken(token: string): Promise<void> {
    return this.core.updateToken(token);
  }

  /**
   * Closes the connection, completes every observable handed out — the handles' and the counters' too,
   * and any subscribed later — and releases every timer; every later call rejects with
   * `client_shut_down`, also those the client could answer from what it holds (CONN-8, ROBUST-2).
   * Idempotent. With `persistence`, what is pending is written first (sends not yet acknowledged go
   * out at the next start: OFFLINE-2); `clearCache: true` wipes this identity's cache and outbox
   * instead (OFFLINE-1), e.g. at sign-out.
   */
  async shutdown(options: { readonly clearCache?: boolean } = {}): Promise<void> {
    const persisted = this.persisted?.close(options.clearCache === true);
    this.runtime.shutdown();
    this.pushSubject.complete();
    this.conversationHandles.clear();
    this.userHandles.clear();
    await this.core.shutdown();
    await persisted;
  }

  // ───────────────────────────── conversations ─────────────────────────────

  /** The handle of a conversation: the same object for the same sid while in use (STORE-4). */
  conversation(sid: string): ConversationHandle {
    if (typeof sid !== 'string' || sid.length === 0) throw new TypeError('ConversationsClient.conversation: sid must be a non-empty string');
    return this.conversationHandles.get(sid);
  }

  /** A subscribed conversation's handle, fetching it when the store does not hold it yet. */
  async getConversationBySid(sid: string): Promise<ConversationHandle> {
    this.runtime.assertOpen();
    if (crGet(this.runtime.store.state.conversations.entities, sid) === undefined) {
      const conversation = await this.runtime.request('conversations.get', { sid }, { idempotent: true });
      this.runtime.dispatch([{ type: 'conversationFetched', conversation }]);
    }
    return this.conversation(sid);
  }

  /** Like {@link getConversationBySid}, by unique name. */
  async getConversationByUniqueName(uniqueName: string): Promise<ConversationHandle> {
    this.runtime.assertOpen();
    const { entities } = this.runtime.store.state.conversations;
    const held = crKeys(entities).find((sid) => crGet(entities, sid)!.uniqueName === uniqueName);
    if (held !== undefined) return this.conversation(held);
    const conversation = await this.runtime.request('conversations.get', { uniqueName }, { idempotent: true });
    this.runtime.dispatch([{ type: 'conversationFetched', conversation }]);
    return this.conversation(conversation.sid);
  }

  /**
   * Joins a conversation by sid or unique name; resolves once it is in `conversations$` (STORE-6).
   *
   * @example
   * const lobby = await client.joinConversation({ uniqueName: 'lobby' });
   */
  async joinConversation(ref: ConversationRef): Promise<ConversationHandle> {
    const conversation = await this.runtime.request('conversations.join', { ...ref, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'conversationFetched', conversation }]);
    return this.conversation(conversation.sid);
  }

  /**
   * A fresh snapshot of a conversation, read from the server without entering the store (nothing is
   * subscribed or cached). Like `getConversationBySid`, only participants may read it: anyone else gets
   * `not_a_participant` (to see a conversation before taking part, use `joinConversation`).
   */
  peekConversationBySid(sid: string): Promise<Conversation> {
    return this.runtime.request('conversations.peek', { sid }, { idempotent: true });
  }

  /** Creates a conversation (the user becomes its admin); resolves once it is in `conversations$`. */
  async createConversation(options: { friendlyName?: string; uniqueName?: string; attributes?: JsonValue } = {}): Promise<ConversationHandle> {
    const conversation = await this.runtime.request('conversations.create', { ...options, idempotencyKey: newIdempotencyKey() }, { idempotent: true });
    this.runtime.dispatch([{ type: 'conversationFetched', conversation }]);
    return this.conversation(conversation.sid);
  }

  /**
   * Twilio-style paginator over the subscribed conversations, for ported code (STORE-4). Waits for the
   * conversation list to be synchronised, then pages through a snapshot of the store (no requests):
   * prefer `conversations$`, which stays current.
   */
  async getSubscribedConversations(pageSize = 50): Promise<Paginator<Conversation>> {
    await firstValueFrom(
      this.synchronization$.pipe(
        filter((s) => s !== 'started'),
        map((s) => {
          if (s === 'failed') throw new ConversationsError('internal_error', 'Synchronisation failed');
          return s;
        }),
      ),
    ).catch((e: unknown) => {
      throw e instanceof ConversationsError ? e : new ConversationsError('client_shut_down');
    });
    const snapshot = await firstValueFrom(this.conversations$);
    return pageOf(snapshot, Math.max(1, Math.min(pageSize, LIMITS.maxConversationsPageSize)), 0);
  }

  // ───────────────────────────── users ─────────────────────────────

  /** A user handle (STORE-10); rejects with `user_not_found` for unknown identities. */
  async getUser(identity: string): Promise<UserHandle> {
    this.runtime.assertOpen();
    const held = this.userHandles.peek(identity);
    if (held !== undefined) return held;
    const snapshot = await this.runtime.request('users.get', { identity }, { idempotent: true });
    return this.userHandles.get(identity, () => new UserHandle(identity, this.runtime, snapshot));
  }

  /** The user's own profile as the store has it now (Twilio's `client.user`); null before the first `welcome`. */
  get user(): User | null {
    return this.runtime.store.state.me.user;
  }

  /** The users this client watches now, live (PARITY-4): those whose handle's `state$` someone observes. */
  async getSubscribedUsers(): Promise<User[]> {
    this.runtime.assertOpen();
    return Object.values(this.runtime.store.state.users);
  }

  /** Updates the user's own profile; resolves once `user$` shows it. */
  async updateMyUser(changes: { friendlyName?: string | null; attributes?: JsonValue }): Promise<User> {
    const user = await this.runtime.request('users.updateMe', changes, { idempotent: true });
    this.runtime.dispatch([{ type: 'meFetched', user }]);
    return this.runtime.store.state.me.user ?? user;
  }

  // ───────────────────────────── push ─────────────────────────────

  /**
   * Registers this device for push (STORE-11). Talks to the server only when the token differs from
   * the one last registered (kept in `options.storage`) or that registration is older than a day.
   */
  setPushRegistrationId(type: PushType, token: string): Promise<void> {
    if (type !== 'fcm' && type !== 'apn') return Promise.reject(new TypeError("setPushRegistrationId: type must be 'fcm' or 'apn'"));
    if (this.runtime.isClosed) return Promise.reject(new ConversationsError('client_shut_down'));
    return this.push.register(type, token);
  }

  /** Unregisters a push token. */
  removePushRegistrations(type: PushType, token: string): Promise<void> {
    return this.push.unregister(type, token);
  }

  /** Parses a push payload and emits it on `pushNotification$`; returns it, or null when it is not ours. */
  handlePushNotification(payload: unknown): PushNotification | null {
    const notification = parsePushNotification(payload);
    if (notification !== null && !this.runtime.isClosed) this.pushSubject.next(notification);
    return notification;
  }

  /**
   * Validates a push payload (FCM string values accepted) without a client, e.g. in a service worker.
   *
   * @example
   * self.addEventListener('push', (e) => {
   *   const n = ConversationsClient.parsePushNotification(e.data?.json()?.data);
   *   if (n) self.registration.showNotification(n.conversationTitle ?? 'New message', { body: n.body ?? '' });
   * });
   */
  static parsePushNotification(payload: unknown): PushNotification | null {
    return parsePushNotification(payload);
  }
}

function pageOf<T>(all: readonly T[], size: number, offset: number): Paginator<T> {
  const none = () => Promise.reject(new ConversationsError('invalid_argument', 'There is no such page'));
  const hasNextPage = offset + size < all.length;
  const hasPrevPage = offset > 0;
  return {
    items: all.slice(offset, offset + size),
    hasNextPage,
    hasPrevPage,
    nextPage: () => (hasNextPage ? Promise.resolve(pageOf(all, size, offset + size)) : none()),
    prevPage: () => (hasPrevPage ? Promise.resolve(pageOf(all, size, Math.max(0, offset - size))) : none()),
  };
}
