import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { startDemo } from './startDemo.js';

/**
 * `npm start`: the server on its embedded SQLite database plus the demo web app.
 * Flags win over environment variables: --port (PORT or RXC_PORT, default 8080), --host (RXC_HOST,
 * default 127.0.0.1), --database (RXC_DATABASE_URL or RXC_DATABASE, default ./data/rx-conversations.db;
 * a postgres:// URL for several nodes), --broker (RXC_BROKER_URL, a redis:// URL), --log-level
 * (RXC_LOG_LEVEL, default warn), --dev (RXC_DEV_TOKENS=1). RXC_KEYS='{"SK…":"secret"}' adds
 * verification keys for tokens your own backend mints (the same variables as the server's CLI).
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      database: { type: 'string' },
      broker: { type: 'string' },
      'log-level': { type: 'string' },
      dev: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node demo/scripts/start.mjs [--dev] [--port 8080] [--host 127.0.0.1] [--database data/rx-conversations.db | postgres://…] [--broker redis://…] [--log-level warn]');
    console.log('npm start runs it with --dev; pass more flags after --, e.g. npm start -- --port 3000');
    return;
  }
  const portText = values.port ?? process.env['PORT'] ?? process.env['RXC_PORT'] ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new TypeError(`--port must be an integer 0..65535, not ${JSON.stringify(portText)}.`);
  const dev = values.dev || process.env['RXC_DEV_TOKENS'] === '1';
  const keys = readKeys(process.env['RXC_KEYS']);
  const broker = values.broker ?? process.env['RXC_BROKER_URL'];

  const demo = await startDemo({
    port,
    host: values.host ?? process.env['RXC_HOST'] ?? '127.0.0.1',
    database: values.database ?? process.env['RXC_DATABASE_URL'] ?? process.env['RXC_DATABASE'],
    ...(broker === undefined || broker === '' ? {} : { broker }),
    dev,
    keys,
    logLevel: (values['log-level'] ?? process.env['RXC_LOG_LEVEL'] ?? 'warn') as LevelWithSilent,
  });

  if (dev) {
    const bar = '!'.repeat(78);
    console.warn(
      [
        bar,
        '!! DEVELOPMENT ONLY: POST /dev/token hands out a token for ANY name, with no authentication.',
        `!! Its signing key is stored in ${demo.database === ':memory:' ? 'memory' : demo.devKeyFile}.`,
        '!! Never expose this server to a network you do not trust. Turn it off by dropping --dev.',
        bar,
      ].join('\n'),
    );
  }
  console.log(`rx-conversations server: database ${demo.database}, websocket ${demo.wsUrl}`);
  console.log(`demo app: ${(demo.app.scriptBytes.gzip / 1024).toFixed(1)} KiB gzip (main.js, client + rxjs + UI)`);
  console.log(`\nOpen ${demo.url}\n`);

  let closing = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (closing) {
      console.log(`${signal} again: exiting now.`);
      process.exit(1);
    }
    closing = true;
    console.log(`${signal}: closing connections and the database…`);
    demo.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function readKeys(json: string | undefined): Record<string, string> | undefined {
  if (json === undefined || json === '') return undefined;
  try {
    return JSON.parse(json) as Record<string, string>;
  } catch {
    throw new TypeError('RXC_KEYS must be a JSON object { "keyId": "secret" }.');
  }
}
