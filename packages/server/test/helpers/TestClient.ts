import { filter, firstValueFrom, Subject, throwError, timeout } from 'rxjs';
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

/** Options of {@link TestClient.connect}. */
export interface ConnectOptions {
  /** Send hello at once (default true) and wait for welcome. */
  readonly hello?: boolean;
  readonly lastSeq?: number;
}

/**
 * A raw protocol client for integration tests: opens a socket with the auth subprotocol, says hello,
 * records every frame (batches flattened), and waits on predicates with timeouts instead of sleeping.
 */
export class TestClient {
  /** Every frame received, in order. */
  readonly frames: ServerFrame[] = [];
  /** How many websocket messages carried them (batching, PERF-2). */
  messages = 0;
  welcome!: WelcomeFrame;
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  /** Each frame as it is recorded. */
  private readonly received = new Subject<ServerFrame>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages += 1;
      const value = JSON.parse(String(data)) as ServerFrame | ServerFrame[];
      for (const frame of Array.isArray(value) ? value : [value]) this.receive(frame);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async connect(url: string, token: string, options: ConnectOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token]);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const client = new TestClient(socket);
    if (options.hello !== false) {
      client.send(options.lastSeq === undefined ? { type: 'hello', v: PROTOCOL_VERSION } : { type: 'hello', v: PROTOCOL_VERSION, lastSeq: options.lastSeq });
      client.welcome = (await client.waitFor((f) => f.type === 'welcome')) as WelcomeFrame;
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
    this.send({ type: 'req', id, op, args });
    return this.waitFor((f) => f.type === 'res' && f.id === id) as Promise<ResultFrame<O> | ErrorFrame>;
  }

  /** Sends a request; resolves with its result or rejects with a {@link RequestError}. */
  async request<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    const frame = await this.requestFrame(op, args);
    if (!frame.ok) throw new RequestError(frame.error);
    return frame.result as OpResult<O>;
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

  /** Every durable event received so far. */
  events(): EventFrame[] {
    return this.frames.filter((f): f is EventFrame => f.type === 'ev');
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

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000);
    await this.closed;
  }

  private receive(frame: ServerFrame): void {
    this.frames.push(frame);
    this.received.next(frame);
  }
}

/** What an upgrade attempt got: a websocket, or an HTTP refusal. */
export type UpgradeOutcome =
  | { readonly opened: true }
  | { readonly opened: false; readonly status: number; readonly error: string | undefined; readonly body: string };

/** Tries the websocket upgrade with the given subprotocols and reports the HTTP refusal if any. */
export function tryUpgrade(url: string, protocols: string[]): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
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
      socket.close();
      resolve({ opened: true });
    });
    socket.on('error', (err) => reject(err));
  });
}
