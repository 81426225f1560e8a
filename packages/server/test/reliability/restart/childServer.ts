// A server in its own process, so a test can SIGKILL it (bundled by serverProcess.ts). Arguments:
// <database path or postgres URL> <port> [heartbeatIntervalMs]; a broker URL in RXC_TEST_BROKER. Prints
// `LISTENING <port>` once it accepts connections.
import { startServer } from '../../../src/index.js';
import { KEYS } from '../../helpers/testKeys.js';
import { ACCOUNT_SID, CHILD_AUTH_TOKEN, SERVICE_SID } from '../../helpers/twilioRest.js';

const [database, port, heartbeat] = process.argv.slice(2);
const broker = process.env['RXC_TEST_BROKER'];
const server = await startServer({
  ...(broker === undefined ? {} : { broker, pollIntervalMs: 200 }),
  database: database!,
  port: Number(port ?? 0),
  keys: KEYS,
  // The admin API and its webhooks (a test restarts the server with deliveries still in the outbox).
  accountSid: ACCOUNT_SID,
  serviceSid: SERVICE_SID,
  authToken: CHILD_AUTH_TOKEN,
  webhooks: { retryBaseMs: 100, timeoutMs: 1000 },
  rateLimit: { burst: 100_000, ratePerSecond: 100_000 },
  ...(heartbeat === undefined ? {} : { heartbeatIntervalMs: Number(heartbeat) }),
});
process.stdout.write(`LISTENING ${server.port}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
