import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LevelWithSilent } from 'pino';
import { startServer } from '@rx-conversations/server';
import { buildApp, type BuiltApp } from './buildApp.js';
import { handleDevTokenRequest, loadOrCreateDevKey, type DevKey } from './devTokens.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Default 8080; `0` picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * SQLite file (created with its folder) or `':memory:'`, or a `postgres://` URL that several demo
   * nodes share (docs/scaling.md). Default `./data/rx-conversations.db`.
   */
  readonly database?: string;
  /** A `redis://` URL linking nodes that share a PostgreSQL database. */
  readonly broker?: string;
  /**
   * DEVELOPMENT ONLY: serve `POST /dev/token`, which mints a token for any name without any
   * authentication. Off unless set.
   */
  readonly dev?: boolean;
  /** Extra verification keys `{ keyId: secret }` for tokens minted by your own backend. */
  readonly keys?: Readonly<Record<string, string>>;
  /** The server's log level (pino). Default `'warn'`. */
  readonly logLevel?: LevelWithSilent;
  /** The `demo/` folder (holds `app/`). Default: found from this module's location. */
  readonly demoDir?: string;
}

/** A running demo. */
export interface DemoServer {
  /** The page to open, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** The websocket URL the page connects to. */
  readonly wsUrl: string;
  readonly port: number;
  readonly database: string;
  /** Set when dev tokens are on. */
  readonly devKey: DevKey | undefined;
  /** Where the dev key is kept (beside the SQLite file, or in ./data for a shared database). */
  readonly devKeyFile: string;
  readonly app: BuiltApp;
  close(): Promise<void>;
}

const DEFAULT_DATABASE = 'data/rx-conversations.db';
// Both demo/src/startDemo.ts and the bundle in demo/.build/ sit one level below demo/.
const DEFAULT_DEMO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the demo web app and starts the rx-conversations server on its SQLite database, serving the
 * app's files and, with `dev: true` only, the development token endpoint `POST /dev/token`.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ port: 0, database: ':memory:', dev: true });
 * console.log(`Open ${demo.url}`);
 * await demo.close();
 * ```
 */
export async function startDemo(options: DemoOptions = {}): Promise<DemoServer> {
  const shared = /^postgres(ql)?:\/\//i.test(options.database ?? '');
  const database = options.database === ':memory:' || shared ? options.database! : resolve(options.database ?? DEFAULT_DATABASE);
  if (options.dev !== true && Object.keys(options.keys ?? {}).length === 0) {
    throw new TypeError('No token keys: start with --dev (development tokens) or set RXC_KEYS=\'{"SK…":"<secret of 32+ bytes>"}\'.');
  }
  const app = await buildApp(options.demoDir ?? DEFAULT_DEMO_DIR);
  // Nodes on one PostgreSQL database share the dev key in ./data (docs/scaling.md's script writes it first).
  const keyBeside = shared ? resolve(DEFAULT_DATABASE) : database;
  const devKey = options.dev === true ? loadOrCreateDevKey(keyBeside) : undefined;
  const keys: Record<string, string> = { ...options.keys };
  if (devKey !== undefined) keys[devKey.keyId] = devKey.secret;

  const server = await startServer({
    port: options.port ?? 8080,
    host: options.host ?? '127.0.0.1',
    database,
    ...(options.broker === undefined ? {} : { broker: options.broker }),
    keys,
    logLevel: options.logLevel ?? 'warn',
    requestHandler: (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === '/dev/token') {
        handleDevTokenRequest(req, res, devKey);
        return true;
      }
      const file = app.files.get(path === '/index.html' ? '/' : path);
      if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return true;
    },
  });

  return {
    url: `http://${urlHost(options.host ?? '127.0.0.1')}:${server.port}/`,
    wsUrl: server.url,
    port: server.port,
    database,
    devKey,
    devKeyFile: join(dirname(keyBeside), 'dev-key.json'),
    app,
    close: () => server.close(),
  };
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
