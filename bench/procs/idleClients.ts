// PERF-6 client side: opens `count` authenticated websockets to the server (each its own identity, a
// valid token in the subprotocol, `hello`, then only heartbeats), `concurrency` handshakes at a time,
// and reports when every one has its `welcome`. Holds them until the parent says `close`.
import { onParentMessage, tellParent } from '../lib/child.js';
import { connectRaw, type TestClient } from '../lib/connectRaw.js';
import { mintToken } from '../lib/tokens.js';

const [url, countArg, concurrencyArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const CONCURRENCY = Number(concurrencyArg);

const t0 = process.hrtime.bigint();
const tokens: string[] = [];
for (let i = 0; i < COUNT; i++) tokens.push(await mintToken(`idle-${i}`));
const mintMs = Number(process.hrtime.bigint() - t0) / 1e6;

const clients: TestClient[] = [];
let next = 0;
let failures = 0;
let firstError: string | undefined;
const t1 = process.hrtime.bigint();
async function worker(): Promise<void> {
  while (next < COUNT) {
    const i = next++;
    for (let attempt = 0; ; attempt++) {
      try {
        clients.push(await connectRaw(url!, tokens[i]!, 60_000));
        break;
      } catch (err) {
        failures++;
        firstError ??= (err as Error).message;
        if (attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
  }
}
try {
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const connectMs = Number(process.hrtime.bigint() - t1) / 1e6;
  tellParent({ type: 'connected', count: clients.length, mintMs, connectMs, retries: failures, firstError: firstError ?? null, error: null });
} catch (err) {
  tellParent({ type: 'connected', count: clients.length, error: (err as Error).message });
}

onParentMessage((command) => {
  if (command.type === 'close') {
    for (const client of clients) client.terminate();
    process.exit(0);
  }
});
