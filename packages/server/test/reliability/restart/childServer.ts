// A server in its own process, so a test can SIGKILL it (bundled by serverProcess.ts). Arguments:
// <database path or postgres URL> <port> [heartbeatIntervalMs]; a broker URL in RXC_TEST_BROKER. Prints
// `LISTENING <port>` once it accepts connections.
import { startServer } from '../../../src/index.js';
import { KEYS } from '../../helpers/testKeys.js';

const [database, port, heartbeat] = process.argv.slice(2);
const broker = process.env['RXC_TEST_BROKER'];
const server = await startServer({
  ...(broker === undefined ? {} : { broker, pollIntervalMs: 200 }),
  database: database!,
  port: Number(port ?? 0),
  keys: KEYS,
  rateLimit: { burst: 100_000, ratePerSecond: 100_000 },
  ...(heartbeat === undefined ? {} : { heartbeatIntervalMs: Number(heartbeat) }),
});
process.stdout.write(`LISTENING ${server.port}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
