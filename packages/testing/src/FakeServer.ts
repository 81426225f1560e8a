import {
  AUTH_SUBPROTOCOL_PREFIX,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  parseClientFrame,
  type Conversation,
  type ErrorCode,
  type HelloFrame,
  type OpArgs,
  type OpName,
  type OpResult,
  type ServerFrame,
  type WireError,
} from '@rx-conversations/protocol';
import { Subject, asyncScheduler, filter, firstValueFrom, type Observable, type SchedulerLike } from 'rxjs';
import { FakeActor } from './FakeActor.js';
import type { FakeConnection } from './FakeConnection.js';
import { FakeServerError } from './FakeServerError.js';
import type { FakeServerState } from './FakeServerState.js';
import { FakeWebSocket, type FakeSocketLink, type FakeWebSocketConstructor } from './FakeWebSocket.js';
import type { RecordedRequest } from './RecordedRequest.js';
import type { SeedData } from './SeedData.js';
import { fakeToken } from './fakeToken.js';
import { handleOp, type OpContext } from './internal/handleOp.js';
import { Model } from './internal/Model.js';
import { readToken, type TokenReading } from './internal/readToken.js';
import { respond } from './internal/respond.js';
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
  /** Events retained per user log; older ones are trimmed and resuming from before them gets `resync`. */
  readonly maxEvents?: number;
}

let serverCounter = 0;
const pad = (n: number): string => n.toString(16).padStart(32, '0');
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * An in-process fake of the rx-conversations server speaking the real wire protocol
 * (docs/protocol.md) through a fake `WebSocket` constructor, so the real client runs unchanged
 * against it with no network: auth by subprotocol, hello/welcome with resume, requests with
 * events-before-reply, per-user event logs with sequence numbers, signals, idempotency keys and the
 * same authorisation errors. Script other users with {@link FakeServer.as}, inject faults with
 * `dropConnections`, `expireToken`, `failNext`, `pause`, and inspect `requests`, `connections`, `state`.
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
   * or 401 `{ code }`), which the client asks after a refused handshake. Install it as
   * `globalThis.fetch` (or the client's fetch option) in tests that expect `denied`.
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** Every request received from a client socket, as it arrives. */
  readonly requests$: Observable<RecordedRequest>;
  /** A read-only view of the data. */
  readonly state: FakeServerState;

  private readonly options: FakeServerOptions;
  private readonly host: string;
  private readonly model: Model;
  private readonly all: ServerConnection[] = [];
  private readonly bySocket = new WeakMap<FakeWebSocket, ServerConnection>();
  private readonly recorded: RecordedRequest[] = [];
  private readonly requestSubject = new Subject<RecordedRequest>();
  private readonly failures: { op: OpName; error: WireError; times: number }[] = [];
  private readonly expiredTokens = new Set<string>();
  private rejectCode: ErrorCode | null = null;
  private isPaused = false;
  private offline = false;
  private shutDown = false;
  private connectionCounter = 0;
  private keyCounter = 0;

  constructor(options: FakeServerOptions = {}) {
    this.options = options;
    serverCounter += 1;
    this.url = options.url ?? `ws://fake-${serverCounter}.rxc.test`;
    const parsed = new URL(this.url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new TypeError(`FakeServer: url must be ws: or wss:, got ${this.url}`);
    this.host = parsed.host;
    this.httpUrl = `${parsed.protocol === 'wss:' ? 'https:' : 'http:'}//${parsed.host}`;
    this.model = new Model(() => this.now(), options.maxEvents ?? Number.POSITIVE_INFINITY, (identity, frame) => {
      for (const c of this.all) if (c.identity === identity && c.live) this.send(c, frame);
    });
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
      const user = this.model.ensureUser(identity);
      this.model.users.set(identity, Object.freeze({ ...user, friendlyName: friendlyName ?? user.friendlyName, attributes: attributes ?? user.attributes }));
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
    this.model.ensureUser(identity);
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
    for (const c of this.all) if (c.live && c.identity === identity) this.send(c, { type: 'notice', kind: 'tokenAboutToExpire', expiresAt: c.tokenExpiresAt });
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

  /** Keeps only the newest `keep` events of `identity`'s log: resuming from before them gets `resync`. */
  trimLog(identity: string, keep = 0): void {
    this.model.trimLog(identity, keep);
  }

  /** Resolves with the next request of `op` (any op when omitted) a client sends. */
  nextRequest<O extends OpName>(op?: O): Promise<RecordedRequest<O>> {
    return firstValueFrom(this.requests$.pipe(filter((r): r is RecordedRequest<O> => op === undefined || r.op === op)));
  }

  /** Shuts the fake down: open connections close with 1001 and no new ones are accepted. */
  close(): void {
    this.shutDown = true;
    for (const c of this.all) if (c.status === 'open') this.closeConnection(c, 1001, 'server_shutting_down');
    this.requestSubject.complete();
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
    this.connectionCounter += 1;
    const c = new ServerConnection(`CN${pad(this.connectionCounter)}`, reading.identity, socket, token, reading.expiresAt, (conn, code, reason) =>
      this.closeConnection(conn, code, reason),
    );
    this.model.ensureUser(reading.identity);
    this.all.push(c);
    this.bySocket.set(socket, c);
    socket._open(SUBPROTOCOL);
  }

  private receive(socket: FakeWebSocket, data: string | Uint8Array): void {
    const c = this.bySocket.get(socket);
    if (c === undefined || c.status !== 'open') return;
    const parsed = parseClientFrame(data);
    if (!parsed.ok) {
      if (parsed.id !== null && !this.acceptId(c, parsed.id)) return;
      this.send(c, { type: 'res', id: parsed.id, ok: false, error: parsed.error });
      return;
    }
    const { frame } = parsed;
    if (frame.type === 'req' && !this.acceptId(c, frame.id)) return;
    if (frame.type === 'hello') {
      this.handshake(c, frame);
      return;
    }
    if (c.resume === null) {
      this.send(c, { type: 'res', id: frame.type === 'req' ? frame.id : null, ok: false, error: { code: 'handshake_required', message: 'send hello first' } });
      return;
    }
    if (frame.type === 'ping') {
      this.send(c, { type: 'pong', serverTime: this.now() });
      return;
    }
    const request: RecordedRequest = { connectionId: c.id, identity: c.identity, id: frame.id, op: frame.op, args: frame.args, at: this.now() };
    this.recorded.push(request);
    this.requestSubject.next(request);
    const failure = this.failures.find((f) => f.op === frame.op);
    if (failure !== undefined) {
      failure.times -= 1;
      if (failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      this.send(c, { type: 'res', id: frame.id, ok: false, error: failure.error });
      return;
    }
    try {
      const result = handleOp(this.contextFor(c.identity, c), frame.op, frame.args);
      this.send(c, { type: 'res', id: frame.id, ok: true, result });
    } catch (error) {
      const wire = error instanceof FakeServerError ? error.toWire() : { code: 'internal_error' as const, message: String(error) };
      this.send(c, { type: 'res', id: frame.id, ok: false, error: wire });
    }
  }

  /** Request ids strictly increase per connection, whatever else is wrong with the frame. */
  private acceptId(c: ServerConnection, id: number): boolean {
    if (id <= c.lastRequestId) {
      this.send(c, { type: 'res', id, ok: false, error: { code: 'request_id_invalid', message: `request ids must increase (last was ${c.lastRequestId})`, details: { path: 'id' } } });
      return false;
    }
    c.lastRequestId = id;
    return true;
  }

  private handshake(c: ServerConnection, hello: HelloFrame): void {
    if (c.hello !== null) {
      this.send(c, { type: 'res', id: null, ok: false, error: { code: 'handshake_repeated', message: 'hello was already received' } });
      return;
    }
    c.hello = hello.lastSeq === undefined ? { v: hello.v } : { v: hello.v, lastSeq: hello.lastSeq };
    if (hello.v !== PROTOCOL_VERSION) {
      this.send(c, { type: 'res', id: null, ok: false, error: { code: 'protocol_version_unsupported', message: `this server speaks v${PROTOCOL_VERSION}` } });
      this.closeConnection(c, 4000, 'protocol_version_unsupported');
      return;
    }
    const log = this.model.log(c.identity);
    const { lastSeq } = hello;
    let resume: 'fresh' | 'resumed' | 'resync' = 'fresh';
    if (lastSeq !== undefined && lastSeq > log.headSeq) {
      this.send(c, { type: 'res', id: null, ok: false, error: { code: 'resume_sequence_invalid', message: `lastSeq ${lastSeq} is ahead of the log head ${log.headSeq}` } });
      resume = 'resync';
    } else if (lastSeq !== undefined) {
      const firstRetained = log.events[0]?.seq ?? log.headSeq + 1;
      resume = lastSeq + 1 >= firstRetained ? 'resumed' : 'resync';
    }
    const user = this.model.ensureUser(c.identity);
    const online = user.isOnline ? user : this.model.updateUser(c.identity, { isOnline: true });
    if (!user.isOnline) this.signalWatchers(c.identity, { type: 'sig', kind: 'userUpdated', data: { user: online, updateReasons: ['isOnline'] } });
    // Registering for fan-out and reading the log happen in this one synchronous step: nothing between.
    c.resume = resume;
    this.send(c, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      identity: c.identity,
      connectionId: c.id,
      user: online,
      headSeq: log.headSeq,
      resume,
      tokenExpiresAt: c.tokenExpiresAt,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 4000,
      serverTime: this.now(),
    });
    if (resume === 'resumed') for (const event of log.events) if (event.seq > (lastSeq ?? 0)) this.send(c, event);
    if (c.tokenExpiresAt - this.now() <= this.tokenLead()) this.send(c, { type: 'notice', kind: 'tokenAboutToExpire', expiresAt: c.tokenExpiresAt });
    this.armTokenTimers(c);
  }

  private disconnect(socket: FakeWebSocket, code: number, reason: string): void {
    const c = this.bySocket.get(socket);
    if (c === undefined || c.status === 'closed') return;
    c.closed ??= { code, reason, by: 'client' };
    c.status = 'closed';
    c.outbox = [];
    this.detach(c);
  }

  private closeConnection(c: ServerConnection, code: number, reason: string): void {
    if (c.status !== 'open') return;
    c.closed = { code, reason, by: 'server' };
    if (code === 1006) {
      c.status = 'closed';
      c.outbox = [];
      this.detach(c);
      this.schedule(() => c.socket._close(1006, '', false));
      return;
    }
    c.status = 'closing';
    this.detach(c);
    this.schedule(() => {
      this.flush(c); // a clean close sends what was queued first
      c.status = 'closed';
      c.outbox = [];
      c.socket._close(code, reason, true);
    });
  }

  /** The connection left the live set: stop its timers, and mark its user offline if it was the last. */
  private detach(c: ServerConnection): void {
    for (const timer of c.tokenTimers) timer.unsubscribe();
    c.tokenTimers = [];
    if (c.resume === null || this.isConnected(c.identity)) return;
    const user = this.model.ensureUser(c.identity);
    if (!user.isOnline) return;
    const offline = this.model.updateUser(c.identity, { isOnline: false });
    this.signalWatchers(c.identity, { type: 'sig', kind: 'userUpdated', data: { user: offline, updateReasons: ['isOnline'] } });
  }

  private send(c: ServerConnection, frame: ServerFrame): void {
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
    if (this.options.batch === false) for (const frame of frames) c.socket._message(JSON.stringify(frame));
    else c.socket._message(JSON.stringify(frames.length === 1 ? frames[0] : frames));
  }

  // ───────────────────────────── tokens ─────────────────────────────

  private tokenLead(): number {
    return this.options.tokenNoticeLeadMs ?? 3 * 60_000;
  }

  private expire(c: ServerConnection): void {
    this.expiredTokens.add(c.token);
    this.closeConnection(c, 4001, 'token_expired');
  }

  private armTokenTimers(c: ServerConnection): void {
    for (const timer of c.tokenTimers) timer.unsubscribe();
    c.tokenTimers = [];
    if (this.options.tokenTimers !== true || !c.live) return;
    const scheduler = this.options.scheduler ?? asyncScheduler;
    const untilExpiry = c.tokenExpiresAt - this.now();
    if (untilExpiry > MAX_TIMER_MS) return; // setTimeout would overflow and fire at once
    const untilNotice = untilExpiry - this.tokenLead();
    if (untilNotice > 0) {
      c.tokenTimers.push(scheduler.schedule(() => this.send(c, { type: 'notice', kind: 'tokenAboutToExpire', expiresAt: c.tokenExpiresAt }), untilNotice));
    }
    c.tokenTimers.push(scheduler.schedule(() => this.expire(c), Math.max(0, untilExpiry)));
  }

  // ───────────────────────────── ops ─────────────────────────────

  private nextKey(kind: string): string {
    this.keyCounter += 1;
    return `fake-${kind}-${String(this.keyCounter).padStart(6, '0')}`;
  }

  private isConnected(identity: string): boolean {
    return this.all.some((c) => c.identity === identity && c.live);
  }

  private signalWatchers(identity: string, frame: ServerFrame): void {
    for (const c of this.all) if (c.live && c.watching.has(identity)) this.send(c, frame);
  }

  private contextFor(identity: string, c: ServerConnection | null, forcedSid?: string): OpContext {
    return {
      model: this.model,
      identity,
      forcedSid,
      signal: (identities, frame) => {
        const to = new Set(identities);
        for (const conn of this.all) if (conn.live && to.has(conn.identity)) this.send(conn, frame);
      },
      signalWatchers: (watched, frame) => this.signalWatchers(watched, frame),
      isConnected: (who) => this.isConnected(who),
      watch: (identities) => identities.forEach((i) => c?.watching.add(i)),
      unwatch: (identities) => identities.forEach((i) => c?.watching.delete(i)),
      updateToken: (token) => {
        const reading = this.checkToken(token);
        if (!reading.ok) throw new FakeServerError(reading.code);
        if (reading.identity !== identity) throw new FakeServerError('token_identity_mismatch');
        if (c !== null) {
          c.token = token;
          c.tokenExpiresAt = reading.expiresAt;
          this.armTokenTimers(c);
        }
        return { expiresAt: reading.expiresAt };
      },
    };
  }

  /** Validates (as the wire would) and runs one op for `identity` with no connection. */
  private perform<O extends OpName>(identity: string, op: O, args: OpArgs<O>, forcedSid?: string): OpResult<O> {
    const parsed = parseClientFrame(JSON.stringify({ type: 'req', id: 1, op, args }));
    if (!parsed.ok) throw new FakeServerError(parsed.error.code, parsed.error.message, parsed.error.details);
    if (parsed.frame.type !== 'req') throw new TypeError('unreachable');
    return handleOp(this.contextFor(identity, null, forcedSid), op, parsed.frame.args as OpArgs<O>);
  }

  // ───────────────────────────── HTTP ─────────────────────────────

  private async answerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = typeof input === 'object' && !(input instanceof URL) ? input : null;
    const url = new URL(request?.url ?? String(input));
    if (this.offline || this.shutDown || url.host !== this.host) throw new TypeError('Failed to fetch');
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
    const model = this.model;
    const record = (sid: string) => model.conversations.get(sid);
    return {
      conversations: (identity) =>
        [...model.conversations.values()]
          .filter((c) => identity === undefined || c.members.has(identity))
          .map((c) => model.conversationFor(c, identity ?? '')),
      conversation: (sid, as) => {
        const c = record(sid);
        return c === undefined ? undefined : model.conversationFor(c, as ?? '');
      },
      messages: (sid, options) => (record(sid)?.messages ?? []).filter((m) => options?.includeRemoved === true || !m.removed).map((m) => m.message),
      participants: (sid) => [...(record(sid)?.members.values() ?? [])].map((m) => m.participant),
      users: () => [...model.users.values()],
      user: (identity) => model.users.get(identity),
      events: (identity) => [...model.log(identity).events],
      headSeq: (identity) => model.log(identity).headSeq,
      pushRegistrations: () => [...model.pushRegistrations],
      pushDeliveries: () => [...model.pushDeliveries],
    };
  }
}

function readHeader(headers: HeadersInit | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const entries = Array.isArray(headers) ? headers : Object.entries(headers as Record<string, string>);
  return entries.find(([key]) => key?.toLowerCase() === name)?.[1];
}
