import {
  AUTH_SUBPROTOCOL_PREFIX,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  parseClientFrame,
  type Conversation,
  type ErrorCode,
  type EventFrame,
  type OpArgs,
  type OpName,
  type OpResult,
  type PushDelivery,
  type ServerFrame,
  type WireError,
} from '@rx-conversations/protocol';
import {
  Core,
  MemoryStore,
  ServerError,
  eventFrame,
  operations,
  runSync,
  toParticipant,
  toUser,
  toConversation,
  toMessage,
  type OpContext,
  type SessionSettings,
  type Step,
} from '@rx-conversations/server-core';
import { Subject, asyncScheduler, filter, firstValueFrom, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { FakeActor } from './FakeActor.js';
import type { FakeConnection } from './FakeConnection.js';
import { FakeServerError } from './FakeServerError.js';
import type { FakeServerState } from './FakeServerState.js';
import { FakeWebSocket, type FakeSocketLink, type FakeWebSocketConstructor } from './FakeWebSocket.js';
import type { RecordedRequest } from './RecordedRequest.js';
import type { SeedData } from './SeedData.js';
import { fakeToken } from './fakeToken.js';
import { readToken, type TokenReading } from './internal/readToken.js';
import { respond } from './internal/respond.js';
import { FakeMedia } from './internal/FakeMedia.js';
import type { FakeMediaTransport } from './FakeMediaTransport.js';
import { ServerConnection } from './internal/ServerConnection.js';

/** Options of {@link FakeServer}. */
export interface FakeServerOptions {
  /**
   * Delivers socket events with `scheduler.schedule(work, 0)` and reads the time from
   * `scheduler.now()`: pass a virtual clock's scheduler to run everything in virtual time. Default:
   * microtasks and `Date.now()`.
   */
  readonly scheduler?: SchedulerLike;
  /** Default `ws://fake-<n>.rxc.test`, unique per instance. */
  readonly url?: string;
  /** Send frames queued in the same turn as one JSON-array message, as the real server does. Default true. */
  readonly batch?: boolean;
  /** `welcome.heartbeatIntervalMs`. Default 4000. */
  readonly heartbeatIntervalMs?: number;
  /** Lead time of `notice tokenAboutToExpire` before a token's `exp`. Default 3 minutes. */
  readonly tokenNoticeLeadMs?: number;
  /**
   * Send the token notice and close with 4001 when a connection's token reaches `exp`, with timers on
   * `scheduler` (default off: use `expireToken()` to expire tokens explicitly).
   */
  readonly tokenTimers?: boolean;
  /** Events retained in the log (all users together); resuming from before them gets `resync`. */
  readonly maxEvents?: number;
}

let serverCounter = 0;
const pad = (n: number): string => n.toString(16).padStart(32, '0');

/**
 * An in-process fake of the rx-conversations server speaking the real wire protocol
 * (docs/protocol.md) through a fake `WebSocket` constructor, so the real client runs unchanged
 * against it with no network. It runs the real server's core (`@rx-conversations/server-core`) on its
 * in-memory store: auth by subprotocol, hello/welcome with resume, requests with events-before-reply,
 * the event log, signals, idempotency keys and authorisation are the server's own code (CORE-1).
 * Script other users with {@link FakeServer.as}, inject faults with `dropConnections`, `expireToken`,
 * `failNext`, `pause`, and inspect `requests`, `connections`, `state`.
 *
 * @example
 * ```ts
 * import { ConversationsClient } from '@rx-conversations/client';
 * import { FakeServer } from '@rx-conversations/testing';
 *
 * const fake = new FakeServer();
 * const [general] = fake.seed({ conversations: [{ friendlyName: 'General', participants: ['alice', 'bob'] }] });
 * const client = new ConversationsClient(fake.tokenFor('alice'), { url: fake.url, WebSocket: fake.WebSocket });
 * await fake.as('bob').send(general!.sid, 'hi alice'); // alice's client receives messageAdded live
 * ```
 */
export class FakeServer {
  /** The websocket URL to give the client. */
  readonly url: string;
  /** The matching HTTP origin (`/v1/auth` is answered by {@link FakeServer.fetch}). */
  readonly httpUrl: string;
  /** A `WebSocket` constructor whose sockets connect to this server. */
  readonly WebSocket: FakeWebSocketConstructor;
  /**
   * A `fetch` answering `GET <httpUrl>/v1/auth` as the real server does (200 `{ identity, expiresAt }`
   * or 401 `{ code }`), which the client asks after a refused handshake, and the media URLs of
   * {@link FakeServer.mediaTransport} with their bytes. Install it as
   * `globalThis.fetch` (or the client's fetch option) in tests that expect `denied`.
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /**
   * The media endpoints in process (MEDIA-1, MEDIA-2), for the client's
   * `createMediaSupport({ transport: fake.mediaTransport })`: uploads and signed URLs go through the
   * real core, so `sendMessage({ media })` and `getTemporaryContentUrl` work against the fake. The
   * bytes stay in memory and {@link FakeServer.fetch} serves the URLs. Unlike the real server, it does
   * not check the bytes against the declared type and makes no previews.
   */
  readonly mediaTransport: FakeMediaTransport;
  /** Every request received from a client socket, as it arrives. */
  readonly requests$: Observable<RecordedRequest>;
  /** A read-only view of the data. */
  readonly state: FakeServerState;

  private readonly options: FakeServerOptions;
  private readonly host: string;
  private readonly store: MemoryStore;
  private readonly core: Core;
  private readonly settings: SessionSettings;
  private readonly all: ServerConnection[] = [];
  private readonly bySocket = new WeakMap<FakeWebSocket, ServerConnection>();
  private readonly recorded: RecordedRequest[] = [];
  private readonly requestSubject = new Subject<RecordedRequest>();
  private readonly failures: { op: OpName; error: WireError; times: number }[] = [];
  private readonly expiredTokens = new Set<string>();
  private readonly media: FakeMedia;
  private readonly pushes: PushDelivery[] = [];
  private readonly sidCounters = new Map<string, number>();
  private rejectCode: ErrorCode | null = null;
  private isPaused = false;
  private offline = false;
  private shutDown = false;
  private keyCounter = 0;
  private readonly stateTimers = new Set<Subscription>();

  constructor(options: FakeServerOptions = {}) {
    this.options = options;
    const scheduler = options.scheduler ?? asyncScheduler;
    serverCounter += 1;
    this.url = options.url ?? `ws://fake-${serverCounter}.rxc.test`;
    const parsed = new URL(this.url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new TypeError(`FakeServer: url must be ws: or wss:, got ${this.url}`);
    this.host = parsed.host;
    this.httpUrl = `${parsed.protocol === 'wss:' ? 'https:' : 'http:'}//${parsed.host}`;
    this.store = new MemoryStore(options.maxEvents);
    this.core = new Core({
      store: this.store,
      clock: () => this.now(),
      // Numbered sids, so a test's sids are the same on every run.
      newSid: (prefix) => {
        const n = (this.sidCounters.get(prefix) ?? 0) + 1;
        this.sidCounters.set(prefix, n);
        return prefix + pad(n);
      },
      pushSender: { send: (delivery) => void this.pushes.push(delivery) as unknown as Promise<void> },
      // Conversation state timers (PARITY-1) run out on the scheduler's clock, virtual or real.
      onStateDeadline: (at) => {
        const timer = scheduler.schedule(() => {
          this.stateTimers.delete(timer);
          this.advanceStates();
        }, Math.max(0, at - this.now()));
        this.stateTimers.add(timer);
      },
    });
    this.settings = {
      core: this.core,
      verifyToken: (token) => this.verifyToken(token),
      timers: {
        set: (work, delayMs) => scheduler.schedule(work, delayMs),
        clear: (handle) => (handle as { unsubscribe(): void }).unsubscribe(),
      },
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 4000,
      handshakeTimeoutMs: null,
      tokenNoticeLeadMs: options.tokenNoticeLeadMs ?? 3 * 60_000,
      tokenTimers: options.tokenTimers === true,
      rateLimit: null,
      intercept: (session, frame) => {
        const request: RecordedRequest = { connectionId: session.id, identity: session.identity, id: frame.id, op: frame.op, args: frame.args, at: this.now() };
        this.recorded.push(request);
        this.requestSubject.next(request);
        const failure = this.failures.find((f) => f.op === frame.op);
        if (failure === undefined) return undefined;
        failure.times -= 1;
        if (failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
        return failure.error;
      },
    };
    this.requests$ = this.requestSubject.asObservable();
    const link: FakeSocketLink = {
      schedule: (work) => this.schedule(work),
      connect: (socket) => this.connect(socket),
      receive: (socket, data) => this.receive(socket, data),
      disconnect: (socket, code, reason) => this.disconnect(socket, code, reason),
    };
    this.WebSocket = class extends FakeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, link);
      }
    };
    this.fetch = (input, init) => this.answerFetch(input, init);
    this.media = new FakeMedia({
      core: this.core,
      httpUrl: this.httpUrl,
      reachable: (url) => !this.offline && !this.shutDown && url.host === this.host,
      checkToken: (token) => this.checkToken(token),
    });
    this.mediaTransport = this.media.transport;
    this.state = this.createStateView();
  }

  /** Every request received from client sockets so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Every connection accepted so far (open and closed), oldest first. */
  get connections(): readonly FakeConnection[] {
    return this.all;
  }

  /** Whether outbound frames are held (see {@link FakeServer.pause}). */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Server time: the scheduler's `now()`, else `Date.now()`. */
  now(): number {
    return this.options.scheduler?.now() ?? Date.now();
  }

  /**
   * An unsigned token for `identity` that this fake accepts (it reads `grants.identity` and `exp`,
   * never the signature). Default: never expires; `ttlSeconds` counts from the server's `now()`.
   */
  tokenFor(identity: string, options: { readonly ttlSeconds?: number } = {}): string {
    if (options.ttlSeconds === undefined) return fakeToken(identity);
    const nowSeconds = Math.floor(this.now() / 1000);
    return fakeToken(identity, { iat: nowSeconds, exp: nowSeconds + options.ttlSeconds });
  }

  /**
   * Creates users and conversations (with participants, messages and read horizons) through the
   * same code paths as requests. Returns each conversation as its creator sees it.
   */
  seed(data: SeedData): readonly Conversation[] {
    for (const entry of data.users ?? []) {
      const { identity, friendlyName, attributes } = typeof entry === 'string' ? { identity: entry, friendlyName: undefined, attributes: undefined } : entry;
      this.ensureUser(identity);
      if (friendlyName !== undefined || attributes !== undefined) {
        this.perform(identity, 'users.updateMe', { ...(friendlyName === undefined ? {} : { friendlyName }), ...(attributes === undefined ? {} : { attributes }) });
      }
    }
    return (data.conversations ?? []).map((spec) => {
      const members = spec.participants.map((p) => (typeof p === 'string' ? { identity: p, role: undefined } : p));
      const creator = spec.createdBy ?? members[0]?.identity;
      if (creator === undefined) throw new TypeError('FakeServer.seed: a conversation needs createdBy or at least one participant');
      if (spec.sid !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(spec.sid)) throw new TypeError(`FakeServer.seed: invalid sid ${JSON.stringify(spec.sid)}`);
      const { sid } = this.perform(creator, 'conversations.create', { friendlyName: spec.friendlyName, uniqueName: spec.uniqueName, attributes: spec.attributes }, spec.sid);
      for (const { identity, role } of members) {
        if (identity !== creator) this.perform(creator, 'participants.add', { sid, identity, role });
      }
      for (const message of spec.messages ?? []) {
        this.perform(message.author, 'messages.send', { sid, body: message.body, attributes: message.attributes, idempotencyKey: this.nextKey('seed') });
      }
      for (const [identity, index] of Object.entries(spec.lastRead ?? {})) {
        this.perform(identity, 'conversations.setLastRead', { sid, index, mode: 'set' });
      }
      return this.perform(creator, 'conversations.get', { sid });
    });
  }

  /** Another user acting server-side (see {@link FakeActor}). Creates the user if needed. */
  as(identity: string): FakeActor {
    this.ensureUser(identity);
    return new FakeActor(identity, (op, args) => this.perform(identity, op, args), () => this.nextKey('actor'));
  }

  /** Drops open connections (all, or one identity's) abruptly with 1006; clients reconnect and resume. */
  dropConnections(identity?: string): void {
    for (const c of this.all) if (c.status === 'open' && (identity === undefined || c.identity === identity)) this.closeConnection(c, 1006, '');
  }

  /**
   * Expires `identity`'s tokens on open connections: they close with 4001 `token_expired` (the client
   * goes `denied`) and those tokens are refused from now on.
   */
  expireToken(identity: string): void {
    for (const c of this.all) if (c.status === 'open' && c.identity === identity) this.expire(c);
  }

  /** Sends `notice tokenAboutToExpire` to `identity`'s open connections now. */
  noticeTokenAboutToExpire(identity: string): void {
    for (const c of this.all) if (c.live && c.identity === identity) c.session.noticeTokenAboutToExpire();
  }

  /**
   * Refuses every handshake, `/v1/auth` check and `token.update` with `code` until
   * {@link FakeServer.acceptTokens}. Open connections stay open.
   */
  rejectTokens(code: ErrorCode = 'token_signature_invalid'): void {
    this.rejectCode = code;
  }

  /** Undoes {@link FakeServer.rejectTokens}. */
  acceptTokens(): void {
    this.rejectCode = null;
  }

  /** The next `times` (default 1) client requests of `op` answer `code` and have no effect. */
  failNext(op: OpName, code: ErrorCode, options: { readonly times?: number; readonly message?: string; readonly details?: WireError['details'] } = {}): void {
    const error = new FakeServerError(code, options.message ?? `injected by FakeServer.failNext('${op}')`, options.details).toWire();
    this.failures.push({ op, error, times: options.times ?? 1 });
  }

  /** Holds every outbound frame (a stalled network); requests are still processed. */
  pause(): void {
    this.isPaused = true;
  }

  /** Delivers the frames held since {@link FakeServer.pause}, in order. */
  resume(): void {
    this.isPaused = false;
    for (const c of this.all) if (c.outbox.length > 0) this.scheduleFlush(c);
  }

  /** The network goes down: open connections drop (1006), new ones and `fetch` fail until {@link FakeServer.goOnline}. */
  goOffline(): void {
    this.offline = true;
    this.dropConnections();
  }

  /** Undoes {@link FakeServer.goOffline}. */
  goOnline(): void {
    this.offline = false;
  }

  /** Forgets `identity`'s events but the newest `keep`: resuming from before them gets `resync`. */
  trimLog(identity: string, keep = 0): void {
    this.store.trimUserLog(identity, keep);
  }

  /** Resolves with the next request of `op` (any op when omitted) a client sends. */
  nextRequest<O extends OpName>(op?: O): Promise<RecordedRequest<O>> {
    return firstValueFrom(this.requests$.pipe(filter((r): r is RecordedRequest<O> => op === undefined || r.op === op)));
  }

  /** Shuts the fake down: open connections close with 1001 and no new ones are accepted. */
  close(): void {
    this.shutDown = true;
    for (const timer of this.stateTimers) timer.unsubscribe();
    this.stateTimers.clear();
    for (const c of this.all) if (c.status === 'open') this.closeConnection(c, 1001, 'server_shutting_down');
    this.requestSubject.complete();
  }

  /** Moves conversations whose state timers ran out (PARITY-1); runs by itself when a timer is due. */
  private advanceStates(): void {
    if (this.shutDown) return;
    runSync(this.core.advanceStates());
  }

  // ───────────────────────────── sockets ─────────────────────────────

  private schedule(work: () => void): void {
    if (this.options.scheduler === undefined) queueMicrotask(work);
    else this.options.scheduler.schedule(work, 0);
  }

  private checkToken(token: string | undefined): TokenReading {
    if (this.rejectCode !== null) return { ok: false, code: this.rejectCode };
    if (token !== undefined && this.expiredTokens.has(token)) return { ok: false, code: 'token_expired' };
    return readToken(token, this.now());
  }

  private verifyToken(token: string): Promise<{ identity: string; expiresAt: number }> {
    const reading = this.checkToken(token);
    if (!reading.ok) return Promise.reject(new ServerError(reading.code, new FakeServerError(reading.code).message));
    return Promise.resolve({ identity: reading.identity, expiresAt: reading.expiresAt });
  }

  private sameHost(url: string): boolean {
    try {
      return new URL(url).host === this.host;
    } catch {
      return false;
    }
  }

  private connect(socket: FakeWebSocket): void {
    if (socket.readyState !== FakeWebSocket.CONNECTING) return;
    const auth = socket.protocols.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX));
    const token = auth?.slice(AUTH_SUBPROTOCOL_PREFIX.length);
    const reading = this.checkToken(token);
    if (this.offline || this.shutDown || !this.sameHost(socket.url) || !socket.protocols.includes(SUBPROTOCOL) || !reading.ok || token === undefined) {
      socket._fail();
      return;
    }
    const c: ServerConnection = new ServerConnection(
      reading.identity,
      socket,
      token,
      reading.expiresAt,
      {
        ...this.settings,
        // A token that verifies through `token.update` becomes the one `expireToken` refuses later.
        verifyToken: (next) => this.verifyToken(next).then((verified) => ((c.token = next), verified)),
      },
      {
        send: (frame) => this.send(c, frame),
        sendBacklog: (frames) => frames.forEach((frame) => this.send(c, frame)),
        close: (code, reason) => this.closeConnection(c, code, reason),
      },
      (conn, code, reason) => this.closeConnection(conn, code, reason),
    );
    this.ensureUser(reading.identity);
    this.all.push(c);
    this.bySocket.set(socket, c);
    socket._open(SUBPROTOCOL);
  }

  private receive(socket: FakeWebSocket, data: string | Uint8Array): void {
    const c = this.bySocket.get(socket);
    if (c === undefined || c.status !== 'open') return;
    c.session.receive(data);
  }

  private disconnect(socket: FakeWebSocket, code: number, reason: string): void {
    const c = this.bySocket.get(socket);
    if (c === undefined || c.status === 'closed') return;
    c.closed ??= { code, reason, by: 'client' };
    c.status = 'closed';
    c.outbox = [];
    c.session.closed(code, reason);
  }

  private closeConnection(c: ServerConnection, code: number, reason: string): void {
    if (c.status !== 'open') return;
    c.closed = { code, reason, by: 'server' };
    if (code === 1006) {
      c.status = 'closed';
      c.outbox = [];
      c.session.closed(code, reason);
      this.schedule(() => c.socket._close(1006, '', false));
      return;
    }
    c.status = 'closing';
    c.session.close(code, reason);
    this.schedule(() => {
      this.flush(c); // a clean close sends what was queued first
      c.status = 'closed';
      c.outbox = [];
      c.socket._close(code, reason, true);
    });
  }

  private send(c: ServerConnection, frame: string): void {
    if (c.status === 'closed') return;
    c.outbox.push(frame);
    this.scheduleFlush(c);
  }

  private scheduleFlush(c: ServerConnection): void {
    if (c.flushScheduled || this.isPaused || c.status === 'closed') return;
    c.flushScheduled = true;
    this.schedule(() => {
      c.flushScheduled = false;
      this.flush(c);
    });
  }

  private flush(c: ServerConnection): void {
    if (this.isPaused || c.status === 'closed' || c.outbox.length === 0) return;
    const frames = c.outbox;
    c.outbox = [];
    if (this.options.batch === false) for (const frame of frames) c.socket._message(frame);
    else c.socket._message(frames.length === 1 ? frames[0]! : `[${frames.join(',')}]`);
  }

  private expire(c: ServerConnection): void {
    this.expiredTokens.add(c.token);
    this.closeConnection(c, 4001, 'token_expired');
  }

  // ───────────────────────────── ops ─────────────────────────────

  private nextKey(kind: string): string {
    this.keyCounter += 1;
    return `fake-${kind}-${String(this.keyCounter).padStart(6, '0')}`;
  }

  private ensureUser(identity: string): void {
    this.read((tx) => tx.ensureUser(identity, this.now(), this.core.newSid('US')));
  }

  private read<R>(body: Parameters<MemoryStore['read']>[0] extends (tx: infer T) => Step<unknown> ? (tx: T) => Step<R> : never): R {
    return runSync(this.store.read(body));
  }

  /** Validates (as the wire would) and runs one op for `identity` with no connection. */
  private perform<O extends OpName>(identity: string, op: O, args: OpArgs<O>, conversationSid?: string): OpResult<O> {
    const parsed = parseClientFrame(JSON.stringify({ type: 'req', id: 1, op, args }));
    if (!parsed.ok) throw new FakeServerError(parsed.error.code, parsed.error.message, parsed.error.details);
    if (parsed.frame.type !== 'req') throw new TypeError('unreachable');
    const context: OpContext = conversationSid === undefined ? { core: this.core, identity, peer: null } : { core: this.core, identity, peer: null, conversationSid };
    const handler = operations[op] as (ctx: OpContext, args: unknown) => Step<OpResult<O>>;
    try {
      return runSync(handler(context, parsed.frame.args));
    } catch (error) {
      if (error instanceof ServerError) throw new FakeServerError(error.code, error.message, error.details);
      throw error;
    }
  }

  // ───────────────────────────── HTTP ─────────────────────────────

  private async answerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = typeof input === 'object' && !(input instanceof URL) ? input : null;
    const url = new URL(request?.url ?? String(input));
    if (this.offline || this.shutDown || url.host !== this.host) throw new TypeError('Failed to fetch');
    const media = this.media.content(url);
    if (media !== undefined) return new Response(media.slice(), { status: 200 });
    if (url.pathname.replace(/\/+/g, '/') !== '/v1/auth') return respond(404, {});
    const authorization = readHeader(init?.headers ?? request?.headers, 'authorization');
    const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const reading = this.checkToken(token);
    return reading.ok
      ? respond(200, { identity: reading.identity, expiresAt: reading.expiresAt })
      : respond(401, { code: reading.code }, { 'x-rxc-error': reading.code });
  }

  // ───────────────────────────── inspection ─────────────────────────────

  private createStateView(): FakeServerState {
    const { store, core } = this;
    const view = () => store.view;
    const snapshot = (sid: string, as: string | undefined): Conversation | undefined =>
      this.read(function* (tx) {
        const row = yield* tx.getConversation(sid);
        if (row === undefined) return undefined;
        const member = as === undefined ? undefined : yield* tx.getParticipant(sid, as);
        return member === undefined ? toConversation(row, null, 0) : yield* core.conversationFor(tx, row, member);
      });
    const user = (identity: string) => {
      const row = view().users.get(identity);
      return row === undefined ? undefined : toUser(row, core.fanout.isOnline(identity), view().registrations.some((r) => r.identity === identity));
    };
    return {
      conversations: (identity) =>
        [...view().conversations.keys()]
          .map((sid) => snapshot(sid, identity))
          .filter((c): c is Conversation => c !== undefined && (identity === undefined || c.membership !== null)),
      conversation: (sid, as) => snapshot(sid, as),
      messages: (sid, options) => view().messages(sid).filter((m) => options?.includeRemoved === true || m.removed === 0).map(toMessage),
      participants: (sid) => this.read((tx) => tx.listParticipants(sid)).map(toParticipant),
      users: () => [...view().users.keys()].map((identity) => user(identity)!),
      user,
      events: (identity) => store.eventsOf(identity).map((event) => JSON.parse(eventFrame(event)) as EventFrame),
      headSeq: () => this.read((tx) => tx.headSeq()),
      pushRegistrations: () => view().registrations.map((r) => ({ identity: r.identity, type: r.type, token: r.token, registeredAt: r.registered_at })),
      pushDeliveries: () => [...this.pushes],
    };
  }
}

function readHeader(headers: HeadersInit | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const entries = Array.isArray(headers) ? headers : Object.entries(headers as Record<string, string>);
  return entries.find(([key]) => key?.toLowerCase() === name)?.[1];
}
