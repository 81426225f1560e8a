import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { FileMediaStorage } from './FileMediaStorage.js';
import { S3MediaStorage } from './S3MediaStorage.js';
import { startServer, type MediaOptions, type RunningServer, type StartServerOptions } from './startServer.js';
import { WebhookPushSender } from './WebhookPushSender.js';

/**
 * Environment variables the CLI reads (normally `process.env`): `RXC_PORT`, `RXC_HOST`, `RXC_DATABASE_URL`
 * (or `RXC_DATABASE`), `RXC_BROKER_URL`, `RXC_KEYS`, `RXC_JWKS`, `RXC_ACCOUNT_SID`, `RXC_AUTH_TOKEN`,
 * `RXC_SERVICE_SID`, `RXC_PUSH_WEBHOOK_URL`, `RXC_RETENTION_EVENTS`, `RXC_RETENTION_HOURS`,
 * `RXC_RATE_LIMIT`, `RXC_RATE_BURST`, `RXC_REACHABILITY`, `RXC_LOG_LEVEL`, `RXC_MAX_CONNECTIONS`, `RXC_MAX_CONNECTIONS_PER_IDENTITY`,
 * `RXC_MEDIA_DIR`, `RXC_MEDIA_S3_BUCKET`, `RXC_MEDIA_S3_PREFIX`, `RXC_MEDIA_S3_ENDPOINT`, `RXC_MEDIA_S3_REGION`,
 * `RXC_MEDIA_MAX_BYTES`, `RXC_MEDIA_QUOTA_BYTES`, `RXC_MEDIA_TYPES`, `RXC_MEDIA_SIGNING_KEY`, `RXC_MEDIA_PUBLIC_URL`
 * (and the AWS SDK's own `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, … for S3).
 *
 * @example
 * const env: CliEnvironment = { RXC_KEYS: JSON.stringify({ SKdev: secret }), RXC_PORT: '0' };
 */
export interface CliEnvironment {
  readonly [name: string]: string | undefined;
}

/**
 * Outcome of {@link runCli}: an exit code, and the server when one was started.
 *
 * @example
 * const result: CliResult = await runCli(['--help'], {});
 * process.exitCode = result.exitCode;
 */
export interface CliResult {
  /** 0 on success (the server runs, or help was printed), 2 on bad usage, 1 when starting failed. */
  readonly exitCode: number;
  readonly server?: RunningServer;
}

/**
 * Where the CLI writes; defaults to the process's stdout/stderr. Inject one to capture output in tests.
 *
 * @example
 * const lines: string[] = [];
 * const output: CliOutput = { out: (line) => lines.push(line), err: (line) => lines.push(line) };
 */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const LEVELS: readonly string[] = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];

const HELP = `Usage: rx-conversations-server [options]

Runs the rx-conversations server (websocket + HTTP on one port). One process on an SQLite file by
default; several nodes behind one URL with a postgres:// database and a redis:// broker (docs/scaling.md).

Options (each also read from the environment variable in brackets):
  --port <n>            port to listen on, 0 for any free port       [RXC_PORT]      default 8080
  --host <addr>         interface to listen on                       [RXC_HOST]      default 127.0.0.1
  --database <where>    SQLite file, :memory:, or postgres://user@host:5432/db
                                                 [RXC_DATABASE_URL or RXC_DATABASE] default ./data/rx-conversations.db
  --broker <url>        redis://host:6379, links nodes sharing a postgres database  [RXC_BROKER_URL]
  --key-id <id>         API key id that signs tokens (repeatable, pairs with --key-secret)
  --key-secret <s>      its HS256 secret, at least 32 bytes (repeatable)
  --keys-file <path>    JSON file { "SKxxx": "secret", ... }
                        environment: RXC_KEYS='{"SKxxx":"secret"}'
  --jwks <file|url>     a JSON Web Key Set of public keys (ES256, EdDSA) that also verify tokens,
                        read once at start                            [RXC_JWKS]
  --account-sid <AC…>   the account the API keys belong to (REST account_sid)
                                                                     [RXC_ACCOUNT_SID] default AC000…0
  --auth-token <s>      the account's auth token: REST sign-in with the account sid
                                                                     [RXC_AUTH_TOKEN]
  --service-sid <IS…>   the conversations service sid                 [RXC_SERVICE_SID] default IS000…0
  --push-webhook <url>  POST push notifications for offline users here [RXC_PUSH_WEBHOOK_URL]
  --bridge-webhook <url>  POST messages for SMS/WhatsApp/email participants here
                                                                     [RXC_BRIDGE_WEBHOOK_URL]
  --retention-events <n>  events kept in the log                      [RXC_RETENTION_EVENTS] default 1000000
  --retention-hours <n>   age after which events are dropped          [RXC_RETENTION_HOURS] default 168
  --rate-limit <n>      requests per second per connection            [RXC_RATE_LIMIT] default 100
  --rate-burst <n>      requests at once per connection               [RXC_RATE_BURST] default 200
  --reachability <on|off>  whether users see who is online            [RXC_REACHABILITY] default on
  --log-level <level>   silent|fatal|error|warn|info|debug|trace     [RXC_LOG_LEVEL] default info
  --max-connections <n> websockets in all; more get HTTP 503 too_many_connections
                                                                     [RXC_MAX_CONNECTIONS] default 50000
  --max-connections-per-identity <n>
                        websockets one identity may hold at once     [RXC_MAX_CONNECTIONS_PER_IDENTITY] default 64
  --media-dir <path>    where uploaded media live                    [RXC_MEDIA_DIR]
                                             default <database>.media beside the SQLite file
  --media-s3-bucket <b> store media in this S3 bucket instead (several nodes); credentials from
                        the AWS SDK's environment (AWS_ACCESS_KEY_ID, …) [RXC_MEDIA_S3_BUCKET]
  --media-s3-prefix <p> key prefix in the bucket                      [RXC_MEDIA_S3_PREFIX]
  --media-s3-endpoint <url>  an S3-compatible server (MinIO, …), path-style
                                                                     [RXC_MEDIA_S3_ENDPOINT]
  --media-s3-region <r> the bucket's region                          [RXC_MEDIA_S3_REGION] default us-east-1
  --media-max-bytes <n> largest upload                               [RXC_MEDIA_MAX_BYTES] default 104857600
  --media-quota-bytes <n>  bytes one user may keep stored            [RXC_MEDIA_QUOTA_BYTES] default no limit
  --media-types <list>  accepted types, comma-separated (image/*,application/pdf)
                                                                     [RXC_MEDIA_TYPES] default any
  --media-signing-key <s>  signs download URLs, the same on every node
                                            [RXC_MEDIA_SIGNING_KEY] default derived from the keys
  --media-public-url <url> origin of download URLs (https://chat.example.com)
                                                                     [RXC_MEDIA_PUBLIC_URL] default the request's Host
  --help                print this help

At least one key (a secret or a JWKS) is required. SIGINT/SIGTERM close the server gracefully.`;

class UsageError extends Error {}

function readKeys(json: string, source: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new UsageError(`${source} is not valid JSON.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${source} must be a JSON object { "keyId": "secret" }.`);
  }
  for (const [id, secret] of Object.entries(value)) {
    if (typeof secret !== 'string') throw new UsageError(`${source}: the secret of ${id} is not a string.`);
  }
  return value as Record<string, string>;
}

/** Reads a JWKS from a file or an http(s) URL, once: a key rotation needs a restart. */
async function readJwks(where: string): Promise<{ keys: unknown[] }> {
  let text: string;
  if (/^https?:\/\//i.test(where)) {
    const res = await fetch(where, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => {
      throw new Error(`cannot fetch the JWKS at ${where}: ${err.message}`);
    });
    if (!res.ok) throw new Error(`cannot fetch the JWKS at ${where}: HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = readFileSync(where, 'utf8');
    } catch {
      throw new UsageError(`cannot read the JWKS file ${where}.`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`the JWKS at ${where} is not valid JSON.`);
  }
  if (value === null || typeof value !== 'object' || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw new UsageError(`the JWKS at ${where} must be an object with a "keys" array.`);
  }
  return value as { keys: unknown[] };
}

function parseCli(argv: readonly string[], env: CliEnvironment) {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      database: { type: 'string' },
      broker: { type: 'string' },
      'key-id': { type: 'string', multiple: true },
      'key-secret': { type: 'string', multiple: true },
      'keys-file': { type: 'string' },
      jwks: { type: 'string' },
      'account-sid': { type: 'string' },
      'auth-token': { type: 'string' },
      'service-sid': { type: 'string' },
      'push-webhook': { type: 'string' },
      'bridge-webhook': { type: 'string' },
      'retention-events': { type: 'string' },
      'retention-hours': { type: 'string' },
      'rate-limit': { type: 'string' },
      'rate-burst': { type: 'string' },
      reachability: { type: 'string' },
      'log-level': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-connections-per-identity': { type: 'string' },
      'media-dir': { type: 'string' },
      'media-s3-bucket': { type: 'string' },
      'media-s3-prefix': { type: 'string' },
      'media-s3-endpoint': { type: 'string' },
      'media-s3-region': { type: 'string' },
      'media-max-bytes': { type: 'string' },
      'media-quota-bytes': { type: 'string' },
      'media-types': { type: 'string' },
      'media-signing-key': { type: 'string' },
      'media-public-url': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return { help: true as const };

  const portText = values.port ?? env['RXC_PORT'] ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new UsageError(`--port must be an integer 0..65535, not ${JSON.stringify(portText)}.`);
  const logLevel = values['log-level'] ?? env['RXC_LOG_LEVEL'] ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}.`);

  const limit = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--${flag} must be a positive integer, not ${JSON.stringify(text)}.`);
    return Number(text);
  };
  const maxConnections = limit('max-connections', values['max-connections'] ?? env['RXC_MAX_CONNECTIONS']);
  const maxConnectionsPerIdentity = limit(
    'max-connections-per-identity',
    values['max-connections-per-identity'] ?? env['RXC_MAX_CONNECTIONS_PER_IDENTITY'],
  );

  const broker = values.broker ?? (env['RXC_BROKER_URL'] === '' ? undefined : env['RXC_BROKER_URL']);
  const given = (flag: string, name: string): string | undefined => {
    const value = (values as Record<string, string | undefined>)[flag] ?? env[name];
    return value === '' ? undefined : value;
  };
  const retentionEvents = limit('retention-events', given('retention-events', 'RXC_RETENTION_EVENTS'));
  const retentionHours = limit('retention-hours', given('retention-hours', 'RXC_RETENTION_HOURS'));
  const ratePerSecond = limit('rate-limit', given('rate-limit', 'RXC_RATE_LIMIT'));
  const burst = limit('rate-burst', given('rate-burst', 'RXC_RATE_BURST'));
  const pushWebhook = given('push-webhook', 'RXC_PUSH_WEBHOOK_URL');
  if (pushWebhook !== undefined && !/^https?:\/\/[^\s]+$/i.test(pushWebhook)) throw new UsageError('--push-webhook must be an http(s) URL.');
  const bridgeWebhook = given('bridge-webhook', 'RXC_BRIDGE_WEBHOOK_URL');
  if (bridgeWebhook !== undefined && !/^https?:\/\/[^\s]+$/i.test(bridgeWebhook)) throw new UsageError('--bridge-webhook must be an http(s) URL.');
  const jwks = given('jwks', 'RXC_JWKS');
  const accountSid = given('account-sid', 'RXC_ACCOUNT_SID');
  const authToken = given('auth-token', 'RXC_AUTH_TOKEN');
  const serviceSid = given('service-sid', 'RXC_SERVICE_SID');
  const reachability = given('reachability', 'RXC_REACHABILITY');
  if (reachability !== undefined && reachability !== 'on' && reachability !== 'off') throw new UsageError('--reachability must be on or off.');

  const media = mediaConfig(given, limit);

  const keys: Record<string, string> = {};
  if (env['RXC_KEYS'] !== undefined && env['RXC_KEYS'] !== '') Object.assign(keys, readKeys(env['RXC_KEYS'], 'RXC_KEYS'));
  if (values['keys-file'] !== undefined) {
    let text: string;
    try {
      text = readFileSync(values['keys-file'], 'utf8');
    } catch {
      throw new UsageError(`cannot read --keys-file ${values['keys-file']}.`);
    }
    Object.assign(keys, readKeys(text, `--keys-file ${values['keys-file']}`));
  }
  const ids = values['key-id'] ?? [];
  const secrets = values['key-secret'] ?? [];
  if (ids.length !== secrets.length) throw new UsageError('give --key-id and --key-secret in pairs.');
  ids.forEach((id, i) => (keys[id] = secrets[i]!));
  if (Object.keys(keys).length === 0 && jwks === undefined) {
    throw new UsageError('no signing keys: refusing to start. Give --key-id and --key-secret, --keys-file, RXC_KEYS, or --jwks.');
  }
  for (const [id, secret] of Object.entries(keys)) {
    if (Buffer.byteLength(secret) < 32) throw new UsageError(`the secret of key ${id} must be at least 32 bytes.`);
  }
  return {
    help: false as const,
    port,
    host: values.host ?? env['RXC_HOST'] ?? '127.0.0.1',
    database: values.database ?? env['RXC_DATABASE_URL'] ?? env['RXC_DATABASE'] ?? './data/rx-conversations.db',
    ...(broker === undefined ? {} : { broker }),
    logLevel: logLevel as LevelWithSilent,
    keys,
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(maxConnectionsPerIdentity === undefined ? {} : { maxConnectionsPerIdentity }),
    ...(accountSid === undefined ? {} : { accountSid }),
    ...(authToken === undefined ? {} : { authToken }),
    ...(serviceSid === undefined ? {} : { serviceSid }),
    ...(retentionEvents === undefined && retentionHours === undefined
      ? {}
      : {
          retention: {
            ...(retentionEvents === undefined ? {} : { maxEvents: retentionEvents }),
            ...(retentionHours === undefined ? {} : { maxAgeMs: retentionHours * 3_600_000 }),
          },
        }),
    ...(ratePerSecond === undefined && burst === undefined
      ? {}
      : { rateLimit: { ...(ratePerSecond === undefined ? {} : { ratePerSecond }), ...(burst === undefined ? {} : { burst }) } }),
    ...(pushWebhook === undefined ? {} : { pushWebhook }),
    ...(bridgeWebhook === undefined ? {} : { bridgeWebhook }),
    ...(reachability === undefined ? {} : { reachabilityEnabled: reachability === 'on' }),
    ...(jwks === undefined ? {} : { jwks }),
    ...(media === undefined ? {} : { media }),
  };
}

/** The media options the flags and environment give (MEDIA-3); undefined when none. */
function mediaConfig(given: (flag: string, name: string) => string | undefined, limit: (flag: string, text: string | undefined) => number | undefined) {
  const dir = given('media-dir', 'RXC_MEDIA_DIR');
  const bucket = given('media-s3-bucket', 'RXC_MEDIA_S3_BUCKET');
  if (dir !== undefined && bucket !== undefined) throw new UsageError('give --media-dir or --media-s3-bucket, not both.');
  const endpoint = given('media-s3-endpoint', 'RXC_MEDIA_S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/i.test(endpoint)) throw new UsageError('--media-s3-endpoint must be an http(s) URL.');
  const publicUrl = given('media-public-url', 'RXC_MEDIA_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+\/?$/i.test(publicUrl)) throw new UsageError('--media-public-url must be an origin such as https://chat.example.com.');
  const types = given('media-types', 'RXC_MEDIA_TYPES')?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const maxBytes = limit('media-max-bytes', given('media-max-bytes', 'RXC_MEDIA_MAX_BYTES'));
  const quotaBytes = limit('media-quota-bytes', given('media-quota-bytes', 'RXC_MEDIA_QUOTA_BYTES'));
  const signingKey = given('media-signing-key', 'RXC_MEDIA_SIGNING_KEY');
  const storage =
    dir !== undefined
      ? new FileMediaStorage(dir)
      : bucket !== undefined
        ? new S3MediaStorage({
            bucket,
            ...(given('media-s3-prefix', 'RXC_MEDIA_S3_PREFIX') === undefined ? {} : { prefix: given('media-s3-prefix', 'RXC_MEDIA_S3_PREFIX')! }),
            client: {
              region: given('media-s3-region', 'RXC_MEDIA_S3_REGION') ?? 'us-east-1',
              ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
            },
          })
        : undefined;
  const media: MediaOptions = {
    ...(storage === undefined ? {} : { storage }),
    ...(maxBytes === undefined ? {} : { maxBytes }),
    ...(quotaBytes === undefined ? {} : { quotaBytes }),
    ...(types === undefined ? {} : { allowedTypes: types }),
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(publicUrl === undefined ? {} : { publicUrl }),
  };
  return Object.keys(media).length === 0 ? undefined : media;
}

/**
 * The CLI's logic, separate from the process so it can be tested: parses flags and environment, then
 * starts the server and returns it (the bin installs signal handlers and calls `close()`).
 *
 * @example
 * const { exitCode, server } = await runCli(['--port', '0', '--key-id', 'SKdev', '--key-secret', secret], {});
 * await server?.close();
 */
export async function runCli(
  argv: readonly string[],
  env: CliEnvironment,
  output: CliOutput = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
): Promise<CliResult> {
  let config: ReturnType<typeof parseCli>;
  try {
    config = parseCli(argv, env);
  } catch (err) {
    output.err(`rx-conversations-server: ${(err as Error).message}`);
    output.err('Try --help.');
    return { exitCode: 2 };
  }
  if (config.help) {
    output.out(HELP);
    return { exitCode: 0 };
  }
  try {
    const { help: _help, keys, pushWebhook, jwks, ...rest } = config;
    const options: StartServerOptions = {
      ...rest,
      keys: jwks === undefined ? keys : { secrets: keys, jwks: (await readJwks(jwks)) as never },
      ...(pushWebhook === undefined ? {} : { pushSender: new WebhookPushSender({ url: pushWebhook }) }),
    };
    const server = await startServer(options);
    output.out(`rx-conversations server listening on ${server.url} (database ${withoutPassword(config.database)})`);
    return { exitCode: 0, server };
  } catch (err) {
    output.err(`rx-conversations-server: could not start: ${(err as Error).message}`);
    return { exitCode: 1 };
  }
}

/** A database URL as it may be printed: its password replaced. */
function withoutPassword(database: string): string {
  if (!/^[a-z]+:\/\//i.test(database)) return database;
  try {
    const url = new URL(database);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return database;
  }
}
