// Development probe (not a figure): the real server's resident set after a full GC with no connection,
// for a database path or ':memory:' (no checkpoint thread). node bench/dev/run.mjs serverRss <database>
import { startServer } from '@rx-conversations/server';
import { BENCH_KEYS } from '../lib/tokens.js';
const database = process.argv[2]!;
const server = await startServer({ port: 0, database, keys: BENCH_KEYS });
await new Promise((r) => setTimeout(r, 1500));
(globalThis as { gc?: () => void }).gc?.();
await new Promise((r) => setTimeout(r, 200));
(globalThis as { gc?: () => void }).gc?.();
console.log(database, 'rss MiB', (process.memoryUsage.rss() / 1048576).toFixed(1), 'heap', (process.memoryUsage().heapUsed / 1048576).toFixed(1));
await server.close();
process.exit(0);
