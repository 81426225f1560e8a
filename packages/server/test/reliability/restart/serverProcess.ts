// Runs the server in a child process that a test can SIGKILL and restart on the same SQLite file and
// port. The child entry is bundled once with esbuild (workspace packages from source through the
// `source` export condition; third-party packages stay external and resolve from the repo's
// node_modules, which is why the bundle lives under node_modules/.cache).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { filter, from, fromEvent, map, merge, scan, type Observable } from 'rxjs';
import { within } from '../../helpers/within.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..', '..');
const outfile = join(root, 'node_modules', '.cache', 'rxc-reliability', 'childServer.mjs');

const externalThirdParty: Plugin = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@rx-conversations/') ? undefined : { path: args.path, external: true }));
  },
};

let built: Promise<string> | undefined;

/** Bundles the child server entry (once per test process) and returns the file to run. */
export function buildChildServer(): Promise<string> {
  built ??= (async () => {
    mkdirSync(dirname(outfile), { recursive: true });
    await build({
      entryPoints: [join(here, 'childServer.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['source'],
      logLevel: 'error',
      plugins: [externalThirdParty],
    });
    return outfile;
  })();
  return built;
}

/** A server child process. */
export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly httpUrl: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with its signal. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  /** SIGKILL: no shutdown, no flush, nothing. */
  kill(): Promise<void>;
  /** SIGTERM and wait (graceful close). */
  stop(): Promise<void>;
}

/**
 * Starts the child server on `database` (an SQLite path or a postgres URL) and `port` (0 = any), linked to
 * `broker` if given, and waits until it listens.
 */
export async function spawnServer(database: string, port = 0, timeoutMs = 15_000, broker?: string): Promise<ServerProcess> {
  const file = await buildChildServer();
  const env = broker === undefined ? process.env : { ...process.env, RXC_TEST_BROKER: broker };
  const child = spawn(process.execPath, [file, database, String(port)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const stdout = fromEvent(child.stdout!.setEncoding('utf8'), 'data') as Observable<string>;
  const listening = await within(
    merge(
      stdout.pipe(
        scan((out, chunk) => out + chunk, ''),
        map((out) => /LISTENING (\d+)/.exec(out)),
        filter((match) => match !== null),
        map((match) => Number(match[1])),
      ),
      from(exited).pipe(map((how) => { throw new Error(`server child exited (${String(how)}) before listening: ${stderr}`); })),
    ),
    timeoutMs,
    () => `the server child to listen (stderr: ${stderr})`,
  );
  return {
    port: listening,
    url: `ws://127.0.0.1:${listening}`,
    httpUrl: `http://127.0.0.1:${listening}`,
    child,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
