import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { WebSocketServer } from 'ws';
import { AUTH_SUBPROTOCOL_PREFIX, CLOSE_CODES, LIMITS, SUBPROTOCOL } from '@rx-conversations/protocol';
import { hs256Secrets, type TokenKeys, type TokenSecrets } from '@rx-conversations/token';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Core, run, ServerError, type PushSender, type SessionSettings } from '@rx-conversations/server-core';
import { abortHandshake } from './internal/abortHandshake.js';
import { Connection } from './internal/Connection.js';
import { createTokenVerifier, type VerifiedToken } from './internal/createTokenVerifier.js';
import { createHttpHandler } from './internal/handleHttpRequest.js';
import { createMediaHttp, sweepMedia, type MediaSettings } from './internal/media/createMediaHttp.js';
import { MediaUrls } from './internal/media/mediaUrls.js';
import { FileMediaStorage } from './FileMediaStorage.js';
import type { MediaStorage } from './MediaStorage.js';
import { createRestApi, type RestApi } from './internal/rest/createRestApi.js';
import { WebhookDispatcher } from './internal/webhooks/WebhookDispatcher.js';
import { preHookCaller } from './internal/webhooks/preHookCaller.js';
import { isPostgresUrl, openStore } from './internal/openStore.js';
import { RedisBroker } from './internal/RedisBroker.js';

/**
 * Media settings of {@link startServer} (MEDIA-1..4); every one has a default.
 *
 * @example
 * const media: MediaOptions = { maxBytes: 20 * 1024 * 1024, allowedTypes: ['image/*', 'application/pdf'], quotaBytes: 1024 ** 3 };
 */
export interface MediaOptions {
  /**
   * Where the bytes go. Default: a {@link FileMediaStorage} in a directory beside the SQLite file
   * (`<database>.media`), or a temporary directory (removed on close) for `':memory:'`, or `./data/media`
   * for PostgreSQL (several nodes need an {@link S3MediaStorage} instead).
   */
  readonly storage?: MediaStorage;
  /** Largest upload in bytes; a larger `Content-Length` is refused with 413 `media_too_large`. Default 100 MiB. */
  readonly maxBytes?: number;
  /** Accepted types (`image/png`, `image/*`); others get 415 `media_type_not_allowed`. Default: any. */
  readonly allowedTypes?: readonly string[];
  /** Bytes one user may keep stored, uploads in progress included (`media_quota_exceeded`). Default: no limit. */
  readonly quotaBytes?: number;
  /** How long a download URL stays valid. Default 300000 (5 minutes). */
  readonly urlTtlMs?: number;
  /** How long an upload may wait to be attached before it is deleted. Default 3600000 (1 hour). */
  readonly graceMs?: number;
  /**
   * The key download URLs are signed with, the same on every node. Default: derived from `keys`' secrets
   * and `authToken`; required when neither exists (public keys only).
   */
  readonly signingKey?: string;
  /** The origin download URLs start with (`https://chat.example.com`). Default: the request's `Host`. */
  readonly publicUrl?: string;
  /** An upload whose body sends nothing for this long is refused (`media_upload_incomplete`). Default 30000. */
  readonly idleTimeoutMs?: number;
  /** @internal How often deleted and never attached media are swept. Default 60000. */
  readonly sweepIntervalMs?: number;
}

/**
 * Options of {@link startServer}. Only `keys` is required; see `docs/server.md` for each one.
 *
 * @example
 * const options: StartServerOptions = { port: 8080, database: './data/chat.db', keys: { SKxxx: secret }, durability: 'full' };
 */
export interface StartServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Where data lives: an SQLite file (its directory is created) or `':memory:'` for one process, or a
   * `postgres://` URL that several nodes share (SCALE-1). Default `./data/rx-conversations.db`.
   */
  readonly database?: string;
  /**
   * A `redis://` URL: how nodes sharing a PostgreSQL database tell each other of commits, typing and
   * presence at once. Without it, nodes on one PostgreSQL database still see each other's writes, by
   * polling (about a second late). Needs a `postgres://` database.
   */
  readonly broker?: string;
  /**
   * Keys that verify access tokens: `{ [keyId]: hs256Secret }` or a full `TokenKeys`. Each secret key
   * also signs in to the admin REST API (HTTP Basic, key id and secret), as Twilio's API keys do.
   */
  readonly keys: TokenKeys | TokenSecrets;
  /**
   * The account the API keys belong to (`AC…`): the `account_sid` of every REST resource, and what a
   * `twilio` client is created with. Default `AC` followed by 32 zeros.
   */
  readonly accountSid?: string;
  /**
   * The account's auth token: with the account sid, it also signs in to the REST API (Basic auth), as on
   * Twilio. Default: none (only API keys sign in).
   */
  readonly authToken?: string;
  /** The conversations service (`IS…`): `chat_service_sid`, and the `/v1/Services/{IS}` paths. Default `IS` + 32 zeros. */
  readonly serviceSid?: string;
  /**
   * Whether users see each other's reachability (`user.isOnline`) and hear when it changes. Off, every
   * user shows offline to everyone, themselves included, and connecting tells no one; push still goes
   * only to users connected nowhere. Twilio's `reachabilityEnabled`. Default true.
   */
  readonly reachabilityEnabled?: boolean;
  /**
   * The app's bridge for participants that use no SDK (PARITY-2): every message is POSTed here once per
   * SMS, WhatsApp or email participant it should reach (`EventType: onMessageForBinding`, Twilio's message
   * fields plus `RecipientParticipantSid`, `RecipientType` and `MessagingBinding.*`), signed with
   * `X-Twilio-Signature` and retried like post-event webhooks (at least once). Needs `authToken`.
   * Replies come back through the admin API (`POST …/Messages` with `Author` = the address). Default: none.
   */
  readonly bridgeWebhook?: string;
  /** How post-event webhooks (configured through the admin REST API) are delivered. */
  readonly webhooks?: {
    /** Attempts after the first before a delivery is dropped (and logged). Default 5. */
    readonly retries?: number;
    /** Delay before the first retry, doubling for each next one (at most 5 minutes). Default 1000. */
    readonly retryBaseMs?: number;
    /** A receiver that has not answered within this has failed the attempt. Default 5000. */
    readonly timeoutMs?: number;
    /** How long an SDK action waits for a pre-event webhook; no answer by then allows it. Default 5000. */
    readonly preTimeoutMs?: number;
  };
  /** A pino logger. Default: a new one at `logLevel`. */
  readonly logger?: Logger;
  /** Level of the default logger. Default `'silent'`. Token contents and message bodies are never logged. */
  readonly logLevel?: LevelWithSilent;
  /** Where push notifications go for users with no live connection. Default: none are sent. */
  readonly pushSender?: PushSender;
  /** Interval the client should ping at; a peer silent for 3× this is closed with 4009. Default 4000. */
  readonly heartbeatIntervalMs?: number;
  /** How long before token expiry the `tokenAboutToExpire` notice is sent. Default 180000 (3 min). */
  readonly tokenNoticeLeadMs?: number;
  /** Event log retention (SRV-4). Resuming from before it gets `resume: 'resync'`. */
  readonly retention?: {
    /** Events kept in the log, all conversations and users together. Default 1,000,000. */
    readonly maxEvents?: number;
    /** Age after which events are dropped. Default 7 days. */
    readonly maxAgeMs?: number;
  };
  /** Per-connection request rate limit (token bucket, SRV-5). */
  readonly rateLimit?: {
    /** Sustained requests per second. Default 100. */
    readonly ratePerSecond?: number;
    /** Requests allowed at once. Default 200. */
    readonly burst?: number;
  };
  /** A connection whose unsent bytes exceed this is closed (4008) and must resume. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * Websocket connections one identity may hold at once (tabs, devices). One more is refused before the
   * upgrade with HTTP 503 `too_many_connections` (retryable): a leaked token cannot exhaust the server.
   * Default 64.
   */
  readonly maxConnectionsPerIdentity?: number;
  /** Websocket connections (and upgrades in progress) in all; one more is refused the same way. Default 50,000. */
  readonly maxConnections?: number;
  /**
   * SQLite durability; WAL mode always. `'normal'` (default): an acknowledged write survives a process
   * crash. `'full'`: it also survives power loss or an OS crash (an fsync per commit).
   */
  readonly durability?: 'normal' | 'full';
  /** Extra HTTP routes (for example static files). Return true when the request was handled. */
  readonly requestHandler?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Uploads, downloads and previews of media (MEDIA-1..4). */
  readonly media?: MediaOptions;
  /** The clock, epoch ms. Default `Date.now`. For tests. */
  readonly clock?: () => number;
  /** @internal How long a connection may wait before `hello`. Default 10000. */
  readonly handshakeTimeoutMs?: number;
  /** @internal How often retention pruning runs. Default 60000. */
  readonly pruneIntervalMs?: number;
  /** @internal How often a node on a shared database polls the log for what the broker did not bring. Default 1000. */
  readonly pollIntervalMs?: number;
  /** @internal How often conversations whose state timers ran out are moved on (PARITY-1). Default 1000. */
  readonly stateSweepMs?: number;
}

/**
 * A running server, returned by {@link startServer}: where it listens, and how to stop it.
 *
 * @example
 * const server: RunningServer = await startServer({ keys });
 * process.once('SIGTERM', () => void server.close());
 */
export interface RunningServer {
  /** Websocket URL, `ws://host:port`. */
  readonly url: string;
  /** HTTP base URL, `http://host:port` (for `/v1/auth`, `/healthz`). */
  readonly httpUrl: string;
  /** The port actually bound. */
  readonly port: number;
  /**
   * Stops accepting, flushes and closes every socket with 1001, waits for pending push deliveries, and
   * closes the database. Idempotent.
   */
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_TTL_MS = DAY_MS;
const PUSH_REGISTRATION_IDLE_MS = 365 * DAY_MS;
const CLOSE_GRACE_MS = 2000;
// ws cuts anything far above the protocol limit itself (close 1009); a frame just over the limit still
// reaches parseClientFrame and gets a precise `frame_too_large` answer.
const MAX_PAYLOAD_BYTES = LIMITS.frameBytes * 2;

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`\`${name}\` must be a positive number.`);
  return value;
}

const SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-zA-Z]{1,64}$`);

/** Who may sign in to the REST API, and the key its page tokens are signed with (the same on every node). */
function restCredentials(keys: TokenKeys | TokenSecrets, accountSid: string, authToken: string | undefined): { credentials: Map<string, string>; pageKey: Buffer } {
  const credentials = new Map(Object.entries(hs256Secrets(keys)));
  if (authToken !== undefined) credentials.set(accountSid, authToken);
  const pageKey = createHash('sha256').update('rx-conversations page tokens');
  for (const [id, secret] of [...credentials].sort(([a], [b]) => (a < b ? -1 : 1))) pageKey.update(`\n${id}\n${secret}`);
  return { credentials, pageKey: pageKey.digest() };
}

/** The default media storage: beside the SQLite file, a temporary directory, or `./data/media`. */
function defaultMediaStorage(database: string, shared: boolean): MediaStorage {
  if (database === ':memory:') return new FileMediaStorage(join(tmpdir(), `rxc-media-${process.pid}-${randomBytes(6).toString('hex')}`), { removeOnClose: true });
  if (shared) return new FileMediaStorage(join('data', 'media'));
  return new FileMediaStorage(join(dirname(database), `${basename(database).replace(/\.db$/, '')}.media`));
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',').map((p) => p.trim()) : [];
}

/**
 * Starts the rx-conversations server (SRV-1): HTTP and websocket on one port, SQLite persistence, token
 * authentication in the upgrade, per-user event logs with resume, fan-out and push.
 *
 * @example
 * const server = await startServer({ port: 0, database: ':memory:', keys: { SKlocal: secret } });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  if (typeof options !== 'object' || options === null) throw new TypeError('startServer needs an options object.');
  if (typeof options.keys !== 'object' || options.keys === null) throw new TypeError('startServer needs `keys` to verify tokens.');
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? pino({ level: options.logLevel ?? 'silent' });
  const retention = {
    maxEvents: positive(options.retention?.maxEvents, 1_000_000, 'retention.maxEvents'),
    maxAgeMs: positive(options.retention?.maxAgeMs, 7 * DAY_MS, 'retention.maxAgeMs'),
  };
  const heartbeatIntervalMs = positive(options.heartbeatIntervalMs, 4000, 'heartbeatIntervalMs');
  const pruneIntervalMs = positive(options.pruneIntervalMs, 60_000, 'pruneIntervalMs');
  const durability = options.durability ?? 'normal';
  if (durability !== 'normal' && durability !== 'full') throw new TypeError("`durability` must be 'normal' or 'full'.");

  const verifyToken = createTokenVerifier(options.keys, clock);
  // Bad key configuration throws a TypeError on any verification: surface it now, not on each connect.
  await verifyToken('').catch((err: unknown) => {
    if (!(err instanceof ServerError)) throw err;
  });

  const accountSid = options.accountSid ?? `AC${'0'.repeat(32)}`;
  const serviceSid = options.serviceSid ?? `IS${'0'.repeat(32)}`;
  if (typeof accountSid !== 'string' || !SID('AC').test(accountSid)) throw new TypeError('`accountSid` must look like AC followed by letters and digits.');
  if (typeof serviceSid !== 'string' || !SID('IS').test(serviceSid)) throw new TypeError('`serviceSid` must look like IS followed by letters and digits.');
  if (options.bridgeWebhook !== undefined) {
    if (typeof options.bridgeWebhook !== 'string' || !/^https?:\/\/\S+$/i.test(options.bridgeWebhook)) throw new TypeError('`bridgeWebhook` must be an http(s) URL.');
    if (options.authToken === undefined) throw new TypeError('`bridgeWebhook` needs `authToken`: the bridge checks the signature made with it.');
  }
  if (options.authToken !== undefined && (typeof options.authToken !== 'string' || options.authToken.length < 16)) {
    throw new TypeError('`authToken` must be a string of at least 16 characters.');
  }

  const pollIntervalMs = positive(options.pollIntervalMs, 1000, 'pollIntervalMs');
  const database = options.database ?? './data/rx-conversations.db';
  if (typeof database !== 'string' || database === '') throw new TypeError('`database` must be a file path or a postgres:// URL.');
  if (options.broker !== undefined && !isPostgresUrl(database)) {
    throw new TypeError('A `broker` links nodes that share a database: it needs a postgres:// `database`.');
  }
  const mediaOptions = options.media ?? {};
  const credentials = restCredentials(options.keys, accountSid, options.authToken);
  let mediaKey = mediaOptions.signingKey !== undefined ? createHash('sha256').update(`rx-conversations media urls\n${mediaOptions.signingKey}`).digest() : MediaUrls.keyFrom(credentials.credentials);
  if (mediaKey === undefined) {
    // Public keys only and no auth token: nothing shared to sign download URLs with. One process can use
    // a key of its own (URLs die with it); several nodes must agree on one.
    if (isPostgresUrl(database)) throw new TypeError('With public keys only, several nodes need `media.signingKey` to sign download URLs alike.');
    logger.warn('no secret key or auth token: media download URLs are signed with a key of this process and stop working when it restarts; set media.signingKey');
    mediaKey = randomBytes(32);
  }
  const mediaSettings: Omit<MediaSettings, 'storage'> = {
    maxBytes: positive(mediaOptions.maxBytes, 100 * 1024 * 1024, 'media.maxBytes'),
    allowedTypes: mediaOptions.allowedTypes,
    quotaBytes: positive(mediaOptions.quotaBytes, Number.POSITIVE_INFINITY, 'media.quotaBytes'),
    urlTtlMs: positive(mediaOptions.urlTtlMs, 300_000, 'media.urlTtlMs'),
    graceMs: positive(mediaOptions.graceMs, 60 * 60 * 1000, 'media.graceMs'),
    previewMaxSide: 320,
    idleTimeoutMs: positive(mediaOptions.idleTimeoutMs, 30_000, 'media.idleTimeoutMs'),
    publicUrl: mediaOptions.publicUrl?.replace(/\/+$/, ''),
  };
  const mediaSweepMs = positive(mediaOptions.sweepIntervalMs, 60_000, 'media.sweepIntervalMs');
  if (mediaOptions.allowedTypes !== undefined && (!Array.isArray(mediaOptions.allowedTypes) || mediaOptions.allowedTypes.some((t) => typeof t !== 'string'))) {
    throw new TypeError('`media.allowedTypes` must be an array of types such as "image/png" or "image/*".');
  }
  const opened = await openStore(database, retention, durability, logger);
  const mediaStorage = mediaOptions.storage ?? defaultMediaStorage(database, opened.shared);
  // Deleted media leave storage soon after the commit that released them, one sweep at a time.
  let sweeping: Promise<void> | undefined;
  let sweepAgain = false;
  const sweep = (): void => {
    if (sweeping !== undefined) {
      sweepAgain = true;
      return;
    }
    sweeping = (async () => {
      do {
        sweepAgain = false;
        try {
          while (await sweepMedia(core, mediaStorage, logger)) {
            // more are due: take the next batch
          }
        } catch (err) {
          logger.error({ err }, 'media sweep failed');
        }
      } while (sweepAgain);
    })().finally(() => (sweeping = undefined));
  };
  const { store } = opened;
  let broker: RedisBroker | undefined;
  try {
    if (options.broker !== undefined) broker = await RedisBroker.open(options.broker, opened.namespace, logger, clock);
  } catch (err) {
    await opened.close();
    throw err;
  }
  const core = new Core({
    store,
    clock,
    logger,
    newSid: (prefix) => prefix + randomBytes(16).toString('hex'),
    hash: (text) => createHash('sha256').update(text).digest('base64url'),
    ...(options.pushSender === undefined ? {} : { pushSender: options.pushSender }),
    defer: (work) => setImmediate(work),
    ...(broker === undefined ? {} : { bus: broker, presence: broker }),
    webhooksQueued: () => dispatcher.wake(),
    reachabilityEnabled: options.reachabilityEnabled ?? true,
    ...(options.bridgeWebhook === undefined ? {} : { bridgeUrl: options.bridgeWebhook }),
    callPreHook: preHookCaller(accountSid, serviceSid, options.authToken, positive(options.webhooks?.preTimeoutMs, 5000, 'webhooks.preTimeoutMs'), logger),
    onMediaReleased: () => setImmediate(sweep),
  });
  const retries = options.webhooks?.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError('`webhooks.retries` must be a non-negative integer.');
  // Created once the core exists; the core only calls `webhooksQueued` after a write.
  const dispatcher: WebhookDispatcher = new WebhookDispatcher(
    core,
    accountSid,
    serviceSid,
    options.authToken,
    {
      retries,
      retryBaseMs: positive(options.webhooks?.retryBaseMs, 1000, 'webhooks.retryBaseMs'),
      timeoutMs: positive(options.webhooks?.timeoutMs, 5000, 'webhooks.timeoutMs'),
    },
    logger,
    pollIntervalMs,
  );
  if (opened.shared) await core.start();
  const settings: SessionSettings = {
    core,
    verifyToken,
    timers: { set: (work, ms) => setTimeout(work, ms), clear: (handle) => clearTimeout(handle as NodeJS.Timeout) },
    heartbeatIntervalMs,
    handshakeTimeoutMs: positive(options.handshakeTimeoutMs, 10_000, 'handshakeTimeoutMs'),
    tokenNoticeLeadMs: options.tokenNoticeLeadMs ?? 180_000,
    tokenTimers: true,
    rateLimit: {
      ratePerSecond: positive(options.rateLimit?.ratePerSecond, 100, 'rateLimit.ratePerSecond'),
      burst: positive(options.rateLimit?.burst, 200, 'rateLimit.burst'),
    },
  };
  const maxBufferedBytes = positive(options.maxBufferedBytes, 4 * 1024 * 1024, 'maxBufferedBytes');

  const connections = new Set<Connection>();
  const maxConnections = positive(options.maxConnections, 50_000, 'maxConnections');
  const maxConnectionsPerIdentity = positive(options.maxConnectionsPerIdentity, 64, 'maxConnectionsPerIdentity');
  // Upgrades whose token is being verified, and live connections per identity (counted from accept).
  let upgrading = 0;
  const perIdentity = new Map<string, number>();
  const released = (identity: string): void => {
    const left = (perIdentity.get(identity) ?? 1) - 1;
    if (left > 0) perIdentity.set(identity, left);
    else perIdentity.delete(identity);
  };
  let closing = false;
  let rest: RestApi;
  try {
    rest = await createRestApi({
      core,
      logger,
      accountSid,
      serviceSid,
      authToken: options.authToken,
      ...restCredentials(options.keys, accountSid, options.authToken),
    });
  } catch (err) {
    await dispatcher.close();
    await broker?.close();
    await opened.close();
    throw err;
  }
  const media = createMediaHttp(core, verifyToken, new MediaUrls(mediaKey), { ...mediaSettings, storage: mediaStorage }, logger);
  const http = createServer(createHttpHandler(verifyToken, logger, rest, media, options.requestHandler));
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD_BYTES,
    clientTracking: false,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, verified: VerifiedToken): void => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.close(CLOSE_CODES.goingAway, 'server_shutting_down');
        return;
      }
      perIdentity.set(verified.identity, (perIdentity.get(verified.identity) ?? 0) + 1);
      broker?.opened(verified.identity);
      connections.add(
        new Connection(ws, verified.identity, verified.expiresAt, settings, maxBufferedBytes, logger, (c) => {
          if (!connections.delete(c)) return;
          released(verified.identity);
          broker?.closedConnection(verified.identity);
        }),
      );
    });
  };

  // SRV-2: the token is verified before the upgrade; a bad one never becomes a websocket.
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'));
    if (closing) return abortHandshake(socket, 503, 'server_shutting_down');
    const offered = offeredProtocols(req);
    if (!offered.includes(SUBPROTOCOL)) return abortHandshake(socket, 400, 'subprotocol_missing');
    if (connections.size + upgrading >= maxConnections) {
      logger.warn({ connections: connections.size, maxConnections }, 'connection refused: server full');
      return abortHandshake(socket, 503, 'too_many_connections');
    }
    const token = offered.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX))?.slice(AUTH_SUBPROTOCOL_PREFIX.length);
    upgrading += 1;
    verifyToken(token).finally(() => (upgrading -= 1)).then(
      async (verified) => {
        // The identity's connections on other nodes count too (SCALE-4); this node's own are counted below,
        // in the same tick as the accept.
        const others = broker === undefined ? 0 : await broker.remoteConnectionsOf(verified.identity);
        if (closing) return abortHandshake(socket, 503, 'server_shutting_down');
        if (socket.destroyed) return;
        const held = (perIdentity.get(verified.identity) ?? 0) + others;
        if (held >= maxConnectionsPerIdentity) {
          logger.info({ held, maxConnectionsPerIdentity }, 'connection refused: too many for one identity');
          return abortHandshake(socket, 503, 'too_many_connections');
        }
        // ws completes the upgrade synchronously (no verifyClient), so the count rises in this same tick.
        accept(req, socket, head, verified);
      },
      (err: unknown) => {
        if (err instanceof ServerError) {
          logger.debug({ code: err.code }, 'upgrade refused');
          abortHandshake(socket, 401, err.code);
          return;
        }
        logger.error({ err }, 'token verification failed unexpectedly');
        abortHandshake(socket, 500, 'internal_error');
      },
    ).catch((err: unknown) => {
      // An unhandled rejection would end the process: no input may do that (SRV-6).
      logger.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  });

  // One sweep for all connections instead of a timer each: cheap at 10k idle sockets (PERF-6).
  const heartbeatSweep = setInterval(() => {
    const silentSince = clock() - 3 * heartbeatIntervalMs;
    for (const connection of connections) {
      if (connection.session.isLive && connection.session.lastHeardAt < silentSince) {
        connection.session.close(CLOSE_CODES.heartbeatTimeout, 'heartbeat_timeout', true);
      }
    }
  }, Math.max(10, Math.floor(heartbeatIntervalMs / 2)));
  heartbeatSweep.unref();

  const prune = (): void => {
    const failed = (err: unknown) => logger.error({ err }, 'retention pruning failed');
    try {
      const now = clock();
      const pruning = run(store.prune(now, { events: retention, idempotencyTtlMs: IDEMPOTENCY_TTL_MS, registrationIdleMs: PUSH_REGISTRATION_IDLE_MS }));
      if (pruning instanceof Promise) pruning.catch(failed);
    } catch (err) {
      failed(err);
    }
  };
  prune();
  const pruneTimer = setInterval(prune, pruneIntervalMs);
  pruneTimer.unref();
  const mediaTimer = setInterval(sweep, mediaSweepMs);
  mediaTimer.unref();
  // Conversation state timers (PARITY-1) run on the server's clock whether or not anyone is connected.
  let advancing: Promise<unknown> | undefined;
  const advanceStates = (): void => {
    if (advancing !== undefined) return;
    advancing = (async () => {
      try {
        while ((await run(core.advanceStates())) > 0 && !closing);
      } catch (err) {
        logger.error({ err }, 'conversation state sweep failed');
      }
    })().finally(() => (advancing = undefined));
  };
  const stateTimer = setInterval(advanceStates, positive(options.stateSweepMs, 1000, 'stateSweepMs'));
  stateTimer.unref();
  // Other nodes write to a shared database: read whatever the broker did not bring (or all of it, with
  // no broker). The relay logs its own failures and the next poll retries.
  const pollTimer = opened.shared ? setInterval(() => void core.relay.poll(), pollIntervalMs) : undefined;
  pollTimer?.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    clearInterval(heartbeatSweep);
    clearInterval(pruneTimer);
    clearInterval(mediaTimer);
    clearInterval(stateTimer);
    clearInterval(pollTimer);
    await dispatcher.close();
    await rest.close();
    await mediaStorage.close?.();
    await broker?.close();
    await opened.close();
    throw err;
  }
  http.on('error', (err) => logger.error({ err }, 'http server error'));
  const { port, address, family } = http.address() as AddressInfo;
  const hostPart = family === 'IPv6' ? `[${address}]` : address;
  logger.info({ port, address }, 'rx-conversations server listening');

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      clearInterval(heartbeatSweep);
      clearInterval(pruneTimer);
      clearInterval(mediaTimer);
      clearInterval(stateTimer);
      clearInterval(pollTimer);
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      const all = [...connections];
      for (const connection of all) connection.session.close(CLOSE_CODES.goingAway, 'server_shutting_down');
      const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
      await Promise.race([Promise.all(all.map((c) => c.whenClosed())), grace]);
      for (const connection of all) connection.terminate();
      await core.drainPushes();
      http.closeAllConnections();
      await media.settled();
      await sweeping;
      await advancing;
      await stopped;
      wss.close();
      await dispatcher.close();
      await rest.close();
      await broker?.close();
      await opened.close();
      await mediaStorage.close?.();
      logger.info('rx-conversations server closed');
    })();
    return closed;
  };

  return { url: `ws://${hostPart}:${port}`, httpUrl: `http://${hostPart}:${port}`, port, close };
}
