// The one raw protocol client of the repository: the server's integration tests, the test kit's
// FakeServer suites (conformance included), the client's STORE-12 producer and the bench all speak
// frames through it. It lives with the server's tests (the reference implementation of the protocol)
// and is imported by relative path, so no published package depends on test code.
import { filter, firstValueFrom, from, Observable, Subject, throwError, timeout, timer } from 'rxjs';
import WebSocket from 'ws';
import {
  AUTH_SUBPROTOCOL_PREFIX,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type ErrorFrame,
  type EventFrame,
  type EventKind,
  type OpArgs,
  type OpName,
  type OpResult,
  type ResultFrame,
  type ServerFrame,
  type WelcomeFrame,
  type WireError,
} from '@rx-conversations/protocol';

/** A failed request, with the wire error. */
export class RequestError extends Error {
  constructor(readonly error: WireError) {
    super(`${error.code}: ${error.message}`);
  }
}

/** What the client needs of a socket: `ws`, `FakeServer.WebSocket` and the DOM's `WebSocket` all have it. */
export interface WireSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** The browser-style handlers the client sets on its socket. */
interface WireSocketHandlers {
  onopen: (() => void) | null;
  onerror: ((event: { error?: unknown; message?: string }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** A `WebSocket` constructor the client can open its socket with. */
export type WireSocketConstructor<S extends WireSocket> = new (url: string, protocols: string[]) => S;

/** `ws`, without offering per-message deflate (the server never negotiates it). */
class NodeSocket extends WebSocket {
  constructor(url: string, protocols: string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/** Options of {@link TestClient.open}. */
export interface OpenOptions {
  /** How long a request may wait for its reply (default 3000 ms). */
  readonly requestTimeoutMs?: number;
  /** Answer `rate_limited` by retrying after the delay the server asks for (default false: the error is the result). */
  readonly retryRateLimited?: boolean;
}

/** {@link OpenOptions} with the socket of the caller's (`FakeServer.WebSocket`, a tap). */
export interface OpenOverOptions<S extends WireSocket> extends OpenOptions {
  readonly WebSocket: WireSocketConstructor<S>;
}

/** Options of {@link TestClient.connect}. */
export interface ConnectOptions extends OpenOptions {
  /** Send hello at once (default true) and wait for welcome. */
  readonly hello?: boolean;
  readonly lastSeq?: number;
  /** How long opening the socket and the welcome may take (default 3000 ms). */
  readonly timeoutMs?: number;
  /** Ping every `welcome.heartbeatIntervalMs`, so that an idle client is not closed as silent (default false). */
  readonly heartbeat?: boolean;
}

/** Options of {@link TestClient.connect} over a socket of the caller's (`FakeServer.WebSocket`, a tap). */
export interface ConnectOverOptions<S extends WireSocket> extends ConnectOptions {
  readonly WebSocket: WireSocketConstructor<S>;
}

interface Pending {
  resolve(frame: ResultFrame | ErrorFrame): void;
  reject(error: Error): void;
}

/**
 * A raw protocol client: opens a socket with the auth subprotocol, says hello, records every frame
 * (batches flattened), answers requests by id, and waits on predicates with timeouts instead of
 * sleeping. Runs over `ws` by default, or over any browser-style socket passed as `WebSocket`.
 *
 * @example
 * const alice = await TestClient.connect(server.url, token);
 * const { sid } = await alice.request('conversations.create', {});
 * await alice.request('messages.send', { sid, body: 'hi', idempotencyKey: key() });
 * await alice.waitForEvent('messageAdded', (e) => e.data.message.body === 'hi');
 */
export class TestClient<S extends WireSocket = WebSocket> {
  /** Every frame received, in order. */
  readonly frames: ServerFrame[] = [];
  /** The websocket messages that carried them, as received (one may hold a batch, PERF-2). */
  readonly messages: string[] = [];
  /** The socket's own events, in order: `open`, `error`, `close`. */
  readonly socketEvents: Array<'open' | 'error' | 'close'> = [];
  /** The latest welcome received. */
  welcome!: WelcomeFrame;
  /** The close event, once the socket has closed. */
  closeEvent: { code: number; reason: string; wasClean: boolean } | null = null;
  /** Resolves with the close code and reason once the socket has closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the socket is open; rejects if it fails or closes first. */
  private readonly opened: Promise<void>;
  /** Emits each frame as it is recorded. */
  readonly frames$: Observable<ServerFrame>;
  private nextId = 1;
  private readonly received = new Subject<ServerFrame>();
  private readonly pending = new Map<number, Pending>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly socket: S,
    private readonly options: OpenOptions,
  ) {
    this.frames$ = this.received.asObservable();
    const handlers = socket as unknown as WireSocketHandlers;
    handlers.onmessage = (event) => {
      const data = String(event.data);
      this.messages.push(data);
      const value = JSON.parse(data) as ServerFrame | ServerFrame[];
      for (const frame of Array.isArray(value) ? value : [value]) this.receive(frame);
    };
    let closedWith!: (event: { code: number; reason: string }) => void;
    this.closed = new Promise((resolve) => (closedWith = resolve));
    this.opened = new Promise((resolve, reject) => {
      handlers.onopen = () => {
        this.socketEvents.push('open');
        resolve();
      };
      handlers.onerror = (event) => {
        this.socketEvents.push('error');
        reject(event.error instanceof Error ? event.error : new Error(`socket error ${event.message ?? ''}`));
      };
      handlers.onclose = ({ code, reason, wasClean }) => {
        this.socketEvents.push('close');
        this.closeEvent = { code, reason: String(reason), wasClean };
        clearInterval(this.heartbeat);
        for (const pending of [...this.pending.values()]) pending.reject(new Error(`socket closed (${code}) before the reply`));
        this.pending.clear();
        reject(new Error(`closed (${code}) before open`));
        closedWith({ code, reason: String(reason) });
      };
    });
    // Nobody need wait for the open (a test of a refused handshake looks at `socketEvents`).
    this.opened.catch(() => undefined);
  }

  /**
   * Opens a socket with `protocols` over `ws` (or `options.WebSocket`) and returns at once, without
   * waiting for the open or saying hello: for tests of the handshake itself.
   */
  static open(url: string, protocols: string[], options?: OpenOptions): TestClient;
  static open<S extends WireSocket>(url: string, protocols: string[], options: OpenOverOptions<S>): TestClient<S>;
  static open(url: string, protocols: string[], options: OpenOptions & { WebSocket?: WireSocketConstructor<WireSocket> } = {}): TestClient<WireSocket> {
    const Socket = options.WebSocket ?? NodeSocket;
    return new TestClient(new Socket(url, protocols), options);
  }

  /** Opens a socket for `token` over `ws` and, unless `hello: false`, completes the handshake. */
  static connect(url: string, token: string, options?: ConnectOptions): Promise<TestClient>;
  /** Opens a socket for `token` with `options.WebSocket` and, unless `hello: false`, completes the handshake. */
  static connect<S extends WireSocket>(url: string, token: string, options: ConnectOverOptions<S>): Promise<TestClient<S>>;
  static async connect(url: string, token: string, options: ConnectOptions & { WebSocket?: WireSocketConstructor<WireSocket> } = {}): Promise<TestClient<WireSocket>> {
    const timeoutMs = options.timeoutMs ?? 3000;
    const client = TestClient.open(url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token], options);
    await firstValueFrom(from(client.opened).pipe(timeout({ first: timeoutMs, with: () => throwError(() => new Error(`no open within ${timeoutMs} ms`)) }))).catch(
      (err: unknown) => {
        client.terminate();
        throw err;
      },
    );
    if (options.hello !== false) {
      client.send(options.lastSeq === undefined ? { type: 'hello', v: PROTOCOL_VERSION } : { type: 'hello', v: PROTOCOL_VERSION, lastSeq: options.lastSeq });
      await client.waitFor((f) => f.type === 'welcome', timeoutMs);
      if (options.heartbeat === true) {
        client.heartbeat = setInterval(() => client.send({ type: 'ping' }), client.welcome.heartbeatIntervalMs);
        client.heartbeat.unref?.();
      }
    }
    return client;
  }

  /** Sends a frame (objects are JSON-encoded, strings go as they are). */
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Reserves the next request id, for tests that build raw request frames. */
  takeId(): number {
    return this.nextId++;
  }

  /** Sends a request and resolves with its reply frame, ok or not. */
  requestFrame<O extends OpName>(op: O, args: OpArgs<O>, id = this.nextId++): Promise<ResultFrame<O> | ErrorFrame> {
    this.nextId = Math.max(this.nextId, id + 1);
    const ms = this.options.requestTimeoutMs ?? 3000;
    const tooLate = () => new Error(`no reply to ${op} #${id} within ${ms} ms; got ${JSON.stringify(this.frames.slice(-5)).slice(0, 800)}`);
    const reply = new Observable<ResultFrame | ErrorFrame>((subscriber) => {
      this.pending.set(id, { resolve: (frame) => subscriber.next(frame), reject: (err) => subscriber.error(err) });
      this.send({ type: 'req', id, op, args });
      return () => this.pending.delete(id);
    });
    return firstValueFrom(reply.pipe(timeout({ first: ms, with: () => throwError(tooLate) }))) as Promise<ResultFrame<O> | ErrorFrame>;
  }

  /** Sends a request; resolves with its result or rejects with a {@link RequestError}. */
  async request<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    for (let attempt = 0; ; attempt++) {
      const frame = await this.requestFrame(op, args);
      if (frame.ok) return frame.result as OpResult<O>;
      if (this.options.retryRateLimited !== true || frame.error.code !== 'rate_limited' || attempt >= 1000) throw new RequestError(frame.error);
      await firstValueFrom(timer(frame.error.details?.retryAfterMs ?? 50));
    }
  }

  /** Sends a request that must fail, resolving with its error. */
  async requestError<O extends OpName>(op: O, args: OpArgs<O>): Promise<WireError> {
    const frame = await this.requestFrame(op, args);
    if (frame.ok) throw new Error(`${op} unexpectedly succeeded`);
    return frame.error;
  }

  /** The first frame (already received or future) matching `predicate`. */
  waitFor(predicate: (frame: ServerFrame) => boolean, timeoutMs = 3000): Promise<ServerFrame> {
    const found = this.frames.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    const tooLate = () => new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5)).slice(0, 800)}`);
    return firstValueFrom(this.received.pipe(filter(predicate), timeout({ first: timeoutMs, with: () => throwError(tooLate) })));
  }

  /** The first durable event of `kind` matching `predicate`. */
  waitForEvent<K extends EventKind>(kind: K, predicate: (event: EventFrame<K>) => boolean = () => true, timeoutMs?: number): Promise<EventFrame<K>> {
    return this.waitFor((f) => f.type === 'ev' && f.kind === kind && predicate(f as EventFrame<K>), timeoutMs) as Promise<EventFrame<K>>;
  }

  /** Every durable event received so far, or those of one kind. */
  events<K extends EventKind>(kind?: K): EventFrame<K>[] {
    return this.frames.filter((f): f is EventFrame<K> => f.type === 'ev' && (kind === undefined || f.kind === kind));
  }

  /** Forgets the frames and messages received so far (the socket stays as it is). */
  clear(): void {
    this.frames.length = 0;
    this.messages.length = 0;
  }

  /** The highest seq received so far (or the welcome's head). */
  lastSeq(): number {
    const events = this.events();
    return events.length === 0 ? this.welcome.headSeq : events[events.length - 1]!.seq;
  }

  /**
   * Resolves once everything the server queued for this socket before now has arrived: it answers a
   * ping on the same ordered queue, after whatever earlier writes caused.
   */
  async barrier(): Promise<void> {
    const pongs = this.frames.filter((f) => f.type === 'pong').length;
    this.send({ type: 'ping' });
    await this.waitFor((f) => f.type === 'pong' && this.frames.filter((g) => g.type === 'pong').length > pongs);
  }

  /** Closes with 1000 and resolves once the socket has closed. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000);
    await this.closed;
  }

  /** Cuts the connection without a closing handshake where the socket can (`ws`), else closes it. */
  terminate(): void {
    clearInterval(this.heartbeat);
    const socket = this.socket as WireSocket & { terminate?: () => void };
    if (socket.terminate !== undefined) socket.terminate();
    else if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
  }

  private receive(frame: ServerFrame): void {
    this.frames.push(frame);
    if (frame.type === 'welcome') this.welcome = frame;
    if (frame.type === 'res' && frame.id !== null) {
      const pending = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      pending?.resolve(frame);
    }
    this.received.next(frame);
  }
}

/** What an upgrade attempt got: a websocket, or an HTTP refusal. */
export type UpgradeOutcome =
  | { readonly opened: true }
  | { readonly opened: false; readonly status: number; readonly error: string | undefined; readonly body: string };

/**
 * Tries the websocket upgrade with the given subprotocols and reports the HTTP refusal if any. An
 * opened socket is closed at once unless `hold` is given: then it stays open until `hold` is called.
 */
export function tryUpgrade(url: string, protocols: string[], options: { readonly hold?: (release: () => void) => void } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new NodeSocket(url, protocols);
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const header = res.headers['x-rxc-error'];
        resolve({ opened: false, status: res.statusCode ?? 0, error: typeof header === 'string' ? header : undefined, body });
        socket.terminate();
      });
    });
    socket.on('open', () => {
      if (options.hold === undefined) socket.close();
      else options.hold(() => socket.terminate());
      resolve({ opened: true });
    });
    socket.on('error', (err) => reject(err));
  });
}
