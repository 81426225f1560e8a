import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { createConsoleLogger, LOG_LEVELS, type Logger, type LogLevel } from './Logger.js';
import { defaultPlatformHooks } from './internal/core/platformHooks.js';
import type { PlatformHooks } from './PlatformHooks.js';
import type { MediaSupport } from './media/MediaSupport.js';
import type { ClientPersistence } from './persistence/ClientPersistence.js';

/**
 * The part of a WHATWG `WebSocket` instance the client uses. The browser's `WebSocket` and Node's
 * `ws` both fit. Event handlers (`onopen`, `onmessage`, `onclose`, `onerror`) are set by the client.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A `WebSocket` constructor: `globalThis.WebSocket` in browsers, `ws` in Node.
 *
 * @example
 * import WebSocket from 'ws';
 * const options: ClientOptions = { url: 'ws://127.0.0.1:8080', WebSocket };
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The part of `fetch` the client uses to ask the server why a connection was refused. */
export type FetchLike = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{ readonly status: number; json(): Promise<unknown> }>;

/** Reconnection with jittered exponential backoff (CONN-3). */
export interface ReconnectOptions {
  /** Delay before the first retry after a failure or a drop. Default 100 ms (first retry fast). */
  readonly initialDelayMs?: number;
  /** Upper bound of the delay between attempts. Default 30,000 ms. */
  readonly maxDelayMs?: number;
  /** Factor between successive delays, ≥ 1. Default 2. */
  readonly multiplier?: number;
  /** Fraction of each delay drawn at random, 0..1: a delay `d` becomes `d × (1 − jitter × random())`. Default 0.5. */
  readonly jitter?: number;
  /** How long the state stays `connecting` before it becomes `disconnected` (retries go on at `maxDelayMs`). Default 60,000 ms. */
  readonly connectingPeriodMs?: number;
}

/** Dead-socket detection (CONN-4). */
export interface HeartbeatOptions {
  /** Send a `ping` after this long without sending anything. Default: the server's `welcome.heartbeatIntervalMs`, else 4,000 ms; never more than half of `timeoutMs`. */
  readonly intervalMs?: number;
  /** Consider the socket dead after this long without receiving anything (also bounds opening and the handshake). Default 9,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Options of `new ConversationsClient(token, options)`. Only `url` is required. Invalid values throw a
 * `TypeError` synchronously from the constructor; unknown keys are ignored.
 *
 * @example
 * import WebSocket from 'ws';
 * const options: ClientOptions = {
 *   url: 'wss://chat.example.com',
 *   WebSocket, // Node only; browsers use their own
 *   tokenProvider: () => fetch('/token').then((response) => response.text()),
 *   logLevel: 'info',
 * };
 */
export interface ClientOptions {
  /** The server's websocket URL, `ws://` or `wss://`. */
  readonly url: string;
  /** The `WebSocket` constructor. Default `globalThis.WebSocket`; required in Node (pass `ws`). */
  readonly WebSocket?: WebSocketConstructor;
  /** Returns a fresh token; called automatically (single-flight) before expiry and when denied (CONN-7). */
  readonly tokenProvider?: () => Promise<string>;
  /** How long before the token's `exp` `tokenAboutToExpire$` fires and `tokenProvider` is called. Default 180,000 ms. */
  readonly tokenRefreshLeadMs?: number;
  /** Default `'silent'`. */
  readonly logLevel?: LogLevel;
  /** Where log lines go. Default: `console`, with tokens redacted. */
  readonly logger?: Logger;
  /** Every timer of the client runs on it. Default `asyncScheduler`; tests pass a virtual-time scheduler. */
  readonly scheduler?: SchedulerLike;
  readonly reconnect?: ReconnectOptions;
  readonly heartbeat?: HeartbeatOptions;
  /** A request without a reply this long after it was sent rejects with `request_timeout`. Default 30,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Calls waiting to go out beyond this many reject with `queue_full`. Default 1,000. */
  readonly maxQueuedRequests?: number;
  /**
   * A call still waiting to go out this long after it was made on an open connection (or after the
   * connection opened) rejects with `rate_limit_deadline` instead of waiting for the server's rate
   * limit any longer (ROBUST-1). Calls waiting for a connection are not affected. Default 30,000 ms;
   * `Infinity` waits as long as it takes.
   */
  readonly rateLimitDeadlineMs?: number;
  /** Source of randomness for jitter, returning [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Online/visibility signals. Default: the browser's, where present; `null` disables. */
  readonly platform?: PlatformHooks | null;
  /** Used to ask the server why a socket was refused (`GET /v1/auth`). Default `globalThis.fetch` where present; `null` disables the question. */
  readonly fetch?: FetchLike | null;
  /**
   * Attachments (MEDIA-1, MEDIA-2): `createMediaSupport()` from `@rx-conversations/client/media`.
   * Without it, `sendMessage({ media })` and the media URLs throw a `TypeError`.
   */
  readonly media?: MediaSupport;
  /**
   * A persistent cache and outbox (OFFLINE-1, OFFLINE-2): `indexedDbPersistence()` or
   * `storagePersistence(yourStorage)` from `@rx-conversations/client/persistence`, `filePersistence(dir)`
   * from `@rx-conversations/client/persistence-node`. Default: none (every start is a cold one).
   */
  readonly persistence?: ClientPersistence;
}

/** {@link ClientOptions} with every default applied, as the connection core uses them. */
export interface ResolvedClientOptions {
  readonly url: string;
  /** `url` with `ws`→`http`, `wss`→`https` and the path replaced by `/v1/auth`. */
  readonly authUrl: string;
  readonly WebSocket: WebSocketConstructor;
  readonly tokenProvider: (() => Promise<string>) | null;
  readonly tokenRefreshLeadMs: number;
  readonly logLevel: LogLevel;
  readonly logger: Logger;
  readonly scheduler: SchedulerLike;
  readonly reconnect: Required<ReconnectOptions>;
  readonly heartbeat: { readonly intervalMs: number | null; readonly timeoutMs: number };
  readonly requestTimeoutMs: number;
  readonly maxQueuedRequests: number;
  readonly rateLimitDeadlineMs: number;
  readonly random: () => number;
  readonly platform: PlatformHooks | null;
  readonly fetch: FetchLike | null;
}

/** Defaults of every optional connection setting, for docs and tests. */
export const DEFAULT_CLIENT_OPTIONS = {
  tokenRefreshLeadMs: 180_000,
  logLevel: 'silent',
  reconnect: { initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5, connectingPeriodMs: 60_000 },
  heartbeat: { fallbackIntervalMs: 4_000, timeoutMs: 9_000 },
  requestTimeoutMs: 30_000,
  maxQueuedRequests: 1_000,
  rateLimitDeadlineMs: 30_000,
} as const;

function fail(message: string): never {
  throw new TypeError(`ConversationsClient: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function duration(name: string, value: unknown, fallback: number, { positive = false } = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    fail(`options.${name} must be a ${positive ? 'positive' : 'non-negative'} finite number of milliseconds`);
  }
  return value;
}

function fn<T>(name: string, value: unknown): T | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') fail(`options.${name} must be a function`);
  return value as T;
}

function resolveUrl(value: unknown): { url: string; authUrl: string } {
  if (typeof value !== 'string') fail('options.url is required: the server\'s ws:// or wss:// URL');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail('options.url is not a valid URL');
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') fail('options.url must start with ws:// or wss://');
  const auth = new URL(parsed.href);
  auth.protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:';
  auth.pathname = '/v1/auth';
  auth.search = '';
  auth.hash = '';
  return { url: value, authUrl: auth.href };
}

function resolveWebSocket(value: unknown): WebSocketConstructor {
  const ctor = value ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof ctor !== 'function') {
    fail(value === undefined
      ? 'there is no global WebSocket here: pass options.WebSocket (in Node: the `ws` package)'
      : 'options.WebSocket must be a WebSocket constructor');
  }
  return ctor as WebSocketConstructor;
}

function resolveLogger(value: unknown): Logger {
  if (value === undefined) return createConsoleLogger();
  if (!isRecord(value) || !(['error', 'warn', 'info', 'debug', 'trace'] as const).every((key) => typeof value[key] === 'function')) {
    fail('options.logger must have error, warn, info, debug and trace functions');
  }
  return value as unknown as Logger;
}

function resolveScheduler(value: unknown): SchedulerLike {
  if (value === undefined) return asyncScheduler;
  if (!isRecord(value) || typeof value['now'] !== 'function' || typeof value['schedule'] !== 'function') {
    fail('options.scheduler must be an RxJS SchedulerLike (now and schedule)');
  }
  return value as unknown as SchedulerLike;
}

function resolveReconnect(value: unknown): Required<ReconnectOptions> {
  if (value !== undefined && !isRecord(value)) fail('options.reconnect must be an object');
  const given = (value ?? {}) as ReconnectOptions;
  const d = DEFAULT_CLIENT_OPTIONS.reconnect;
  const initialDelayMs = duration('reconnect.initialDelayMs', given.initialDelayMs, d.initialDelayMs);
  const maxDelayMs = duration('reconnect.maxDelayMs', given.maxDelayMs, Math.max(d.maxDelayMs, initialDelayMs));
  if (maxDelayMs < initialDelayMs) fail('options.reconnect.maxDelayMs must not be less than initialDelayMs');
  const multiplier = given.multiplier ?? d.multiplier;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) fail('options.reconnect.multiplier must be a finite number ≥ 1');
  const jitter = given.jitter ?? d.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) fail('options.reconnect.jitter must be a number from 0 to 1');
  const connectingPeriodMs = duration('reconnect.connectingPeriodMs', given.connectingPeriodMs, d.connectingPeriodMs);
  return { initialDelayMs, maxDelayMs, multiplier, jitter, connectingPeriodMs };
}

function resolveHeartbeat(value: unknown): ResolvedClientOptions['heartbeat'] {
  if (value !== undefined && !isRecord(value)) fail('options.heartbeat must be an object');
  const given = (value ?? {}) as HeartbeatOptions;
  const timeoutMs = duration('heartbeat.timeoutMs', given.timeoutMs, DEFAULT_CLIENT_OPTIONS.heartbeat.timeoutMs, { positive: true });
  const intervalMs = given.intervalMs === undefined ? null : duration('heartbeat.intervalMs', given.intervalMs, 0, { positive: true });
  if (intervalMs !== null && intervalMs >= timeoutMs) fail('options.heartbeat.intervalMs must be less than heartbeat.timeoutMs');
  return { intervalMs, timeoutMs };
}

function resolvePlatform(value: unknown): PlatformHooks | null {
  if (value === undefined) return defaultPlatformHooks();
  if (value === null) return null;
  if (!isRecord(value) || typeof value['watch'] !== 'function') fail('options.platform must be null or have a watch function');
  return value as unknown as PlatformHooks;
}

function resolveFetch(value: unknown): FetchLike | null {
  if (value === null) return null;
  const given = fn<FetchLike>('fetch', value);
  if (given !== null) return given;
  const global = (globalThis as { fetch?: unknown }).fetch;
  // Bound: browsers throw "Illegal invocation" when fetch is called with another `this`.
  return typeof global === 'function' ? (global.bind(globalThis) as FetchLike) : null;
}

/**
 * Checks `options` and applies defaults (CONN-1). Throws `TypeError` for any invalid connection option;
 * ignores keys it does not know (store options are checked where they are used).
 *
 * @example
 * const resolved = validateOptions({ url: 'ws://127.0.0.1:8080', WebSocket });
 * resolved.reconnect.maxDelayMs; // 30000
 */
export function validateOptions(options: unknown): ResolvedClientOptions {
  if (!isRecord(options)) fail('options must be an object with at least `url`');
  const given = options as Partial<Record<keyof ClientOptions, unknown>>;
  const logLevel = given.logLevel ?? DEFAULT_CLIENT_OPTIONS.logLevel;
  if (typeof logLevel !== 'string' || !LOG_LEVELS.includes(logLevel as LogLevel)) {
    fail(`options.logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const maxQueuedRequests = given.maxQueuedRequests ?? DEFAULT_CLIENT_OPTIONS.maxQueuedRequests;
  if (typeof maxQueuedRequests !== 'number' || !Number.isSafeInteger(maxQueuedRequests) || maxQueuedRequests < 0) {
    fail('options.maxQueuedRequests must be a non-negative integer');
  }
  return {
    ...resolveUrl(given.url),
    WebSocket: resolveWebSocket(given.WebSocket),
    tokenProvider: fn<() => Promise<string>>('tokenProvider', given.tokenProvider),
    tokenRefreshLeadMs: duration('tokenRefreshLeadMs', given.tokenRefreshLeadMs, DEFAULT_CLIENT_OPTIONS.tokenRefreshLeadMs),
    logLevel: logLevel as LogLevel,
    logger: resolveLogger(given.logger),
    scheduler: resolveScheduler(given.scheduler),
    reconnect: resolveReconnect(given.reconnect),
    heartbeat: resolveHeartbeat(given.heartbeat),
    requestTimeoutMs: duration('requestTimeoutMs', given.requestTimeoutMs, DEFAULT_CLIENT_OPTIONS.requestTimeoutMs, { positive: true }),
    maxQueuedRequests,
    rateLimitDeadlineMs: given.rateLimitDeadlineMs === Infinity
      ? Infinity
      : duration('rateLimitDeadlineMs', given.rateLimitDeadlineMs, DEFAULT_CLIENT_OPTIONS.rateLimitDeadlineMs, { positive: true }),
    random: fn<() => number>('random', given.random) ?? Math.random,
    platform: resolvePlatform(given.platform),
    fetch: resolveFetch(given.fetch),
  };
}
