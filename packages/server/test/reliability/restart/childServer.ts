// A server in its own process, so a test can SIGKILL it (bundled by serverProcess.ts). Arguments:
// <database path> <port> [heartbeatIntervalMs]. Prints `LISTENING <port>` once it accepts connections.
import { startServer } from '../../../src/index.js';
import { KEYS } from '../../helpers/testKeys.js';

const [database, port, heartbeat] = process.argv.slice(2);
const server = await startServer({
  database: database!,
  port: Number(port ?? 0),
  keys: KEYS,
  rateLimit: { burst: 100_000, ratePerSecond: 100_000 },
  ...(heartbeat === undefined ? {} : { heartbeatIntervalMs: Number(heartbeat) }),
});
process.stdout.write(`LISTENING ${server.port}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
