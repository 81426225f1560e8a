// Test doubles for the connection core: a scriptable WebSocket, a virtual clock, handmade tokens,
// platform hooks and a recording logger. Used by the unit specs under src/internal/core.
import { VirtualTimeScheduler } from 'rxjs';
import { PROTOCOL_VERSION, SUBPROTOCOL, type ClientFrame, type ServerFrame, type User, type WelcomeFrame } from '@rx-conversations/protocol';
import type { FetchLike } from '../../src/ClientOptions.js';
import type { PlatformHooks, PlatformSignal } from '../../src/PlatformHooks.js';
import type { LogFields, Logger } from '../../src/Logger.js';

/** 2023-11-14T22:13:20Z, in ms: virtual time starts here so token `exp` values look real. */
export const T0 = 1_700_000_000_000;

/** A virtual clock usable as `options.scheduler`: time moves only through `advance`. */
export class VirtualClock extends VirtualTimeScheduler {
  constructor(start = T0) {
    super();
    this.frame = start;
  }

  /** Runs everything due within the next `ms` milliseconds, in order, and moves time there. */
  advance(ms: number): void {
    const target = this.frame + ms;
    this.maxFrames = target;
    this.flush();
    this.frame = target;
  }

  /** Scheduled actions not run yet (a leak check after shutdown). */
  get pending(): number {
    return this.actions.length;
  }
}

/** One fake socket: records what the client does, lets the test play the server. */
export interface FakeSocket {
  readonly url: string;
  readonly protocols: readonly string[];
  readyState: number;
  protocol: string;
  readonly sent: string[];
  readonly closeCalls: { code: number | undefined; reason: string | undefined }[];
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** The frames the client sent, parsed. */
  readonly frames: ClientFrame[];
  /** The token the client offered in its subprotocols. */
  readonly token: string;
  /** Neither closed by the client nor by the test. */
  readonly live: boolean;
  open(protocol?: string): void;
  receive(message: ServerFrame | readonly ServerFrame[]): void;
  receiveRaw(data: unknown): void;
  serverClose(code: number, reason?: string): void;
  fail(): void;
}

/** A WebSocket class whose instances are recorded in `sockets`. */
export interface FakeWebSocketClass {
  new (url: string, protocols?: string | string[]): FakeSocket;
  readonly sockets: FakeSocket[];
  /** The newest socket. */
  latest(): FakeSocket;
}

/** A fresh fake WebSocket class (one per test, so instances do not mix). */
export function fakeWebSocketClass(): FakeWebSocketClass {
  const sockets: FakeSocket[] = [];
  class FakeWebSocket implements FakeSocket {
    static readonly sockets = sockets;
    static latest(): FakeSocket {
      const socket = sockets[sockets.length - 1];
      if (socket === undefined) throw new Error('no socket was created');
      return socket;
    }

    readonly url: string;
    readonly protocols: readonly string[];
    readyState = 0;
    protocol = '';
    readonly sent: string[] = [];
    readonly closeCalls: { code: number | undefined; reason: string | undefined }[] = [];
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string, protocols?: string | string[]) {
      this.url = url;
      this.protocols = typeof protocols === 'string' ? [protocols] : [...(protocols ?? [])];
      sockets.push(this);
    }

    get frames(): ClientFrame[] {
      return this.sent.map((text) => JSON.parse(text) as ClientFrame);
    }

    get token(): string {
      const auth = this.protocols.find((item) => item.startsWith('rxc.auth.'));
      return auth === undefined ? '' : auth.slice('rxc.auth.'.length);
    }

    get live(): boolean {
      return this.readyState === 0 || this.readyState === 1;
    }

    send(data: string): void {
      if (this.readyState !== 1) throw new Error(`send in readyState ${this.readyState}`);
      this.sent.push(data);
    }

    close(code?: number, reason?: string): void {
      this.closeCalls.push({ code, reason });
      this.readyState = 3;
    }

    open(protocol = SUBPROTOCOL): void {
      this.readyState = 1;
      this.protocol = protocol;
      this.onopen?.({});
    }

    receive(message: ServerFrame | readonly ServerFrame[]): void {
      this.onmessage?.({ data: JSON.stringify(message) });
    }

    receiveRaw(data: unknown): void {
      this.onmessage?.({ data });
    }

    serverClose(code: number, reason = ''): void {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }

    fail(): void {
      this.readyState = 3;
      this.onerror?.({});
      this.onclose?.({ code: 1006, reason: '' });
    }
  }
  return FakeWebSocket;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned-looking JWT with the claims the client reads. Times in ms, converted to seconds. */
export function makeToken({ identity = 'alice', issuedAt = T0, ttlMs = 3_600_000, extra = {} }: {
  identity?: string;
  issuedAt?: number;
  ttlMs?: number;
  extra?: Record<string, unknown>;
} = {}): string {
  const iat = Math.floor(issuedAt / 1000);
  const payload = { iss: 'SKtest', sub: 'ACtest', jti: Math.random().toString(16).slice(2), iat, exp: iat + Math.floor(ttlMs / 1000), grants: { identity, chat: { service_sid: 'IS0' } }, ...extra };
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.c2lnbmF0dXJlLWJ5dGVz`;
}

export function user(identity = 'alice'): User {
  return { identity, friendlyName: null, attributes: {}, isOnline: true, isNotifiable: false, version: 1 };
}

export function welcome(overrides: Partial<WelcomeFrame> = {}): WelcomeFrame {
  return {
    type: 'welcome', v: PROTOCOL_VERSION, identity: 'alice', connectionId: 'c1', user: user(), headSeq: 0, resume: 'fresh',
    tokenExpiresAt: T0 + 3_600_000, heartbeatIntervalMs: 4_000, serverTime: T0, ...overrides,
  };
}

/** A durable event frame with sequence number `seq`. */
export function ev(seq: number): ServerFrame {
  return { type: 'ev', seq, prev: seq - 1, kind: 'conversationRemoved', data: { sid: `CH${seq}`, reason: 'left' }, at: T0 };
}

/** Platform hooks the test fires by hand; counts live watchers. */
export class FakePlatform implements PlatformHooks {
  private readonly listeners = new Set<(signal: PlatformSignal) => void>();

  get watchers(): number {
    return this.listeners.size;
  }

  watch(listener: (signal: PlatformSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(signal: PlatformSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}

/** A fetch that answers `GET /v1/auth` as told and records calls. */
export function fakeFetch(answer: { status: number; body?: unknown } | Error = { status: 200, body: { ok: true } }): FetchLike & { calls: { url: string; authorization: string | undefined }[] } {
  const calls: { url: string; authorization: string | undefined }[] = [];
  const fetch = (async (url: string, init: { headers: Record<string, string> }) => {
    calls.push({ url, authorization: init.headers['authorization'] });
    if (answer instanceof Error) throw answer;
    return { status: answer.status, json: async () => answer.body };
  }) as unknown as FetchLike & { calls: typeof calls };
  fetch.calls = calls;
  return fetch;
}

/** A logger that keeps every line. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  error(message: string, fields?: LogFields): void { this.lines.push({ level: 'error', message, fields }); }
  warn(message: string, fields?: LogFields): void { this.lines.push({ level: 'warn', message, fields }); }
  info(message: string, fields?: LogFields): void { this.lines.push({ level: 'info', message, fields }); }
  debug(message: string, fields?: LogFields): void { this.lines.push({ level: 'debug', message, fields }); }
  trace(message: string, fields?: LogFields): void { this.lines.push({ level: 'trace', message, fields }); }
  /** Everything logged, as one string. */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields ?? {})}`).join('\n');
  }
}

/** Lets pending promise callbacks run (virtual time does not move). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
