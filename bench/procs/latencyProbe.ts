// PERF-6's second half: the PERF-4 measurement run against a server that already holds 10k idle
// connections (SPEC: "keeps PERF-4 for active ones"), from its own process.
import { tellParent } from '../lib/child.js';
import { measureSendLatency } from '../lib/sendLatency.js';

const [url, messagesArg, warmupArg] = process.argv.slice(2);
try {
  const result = await measureSendLatency(url!, Number(messagesArg), Number(warmupArg), 'perf6');
  await tellParent({ type: 'latencies', ...result, error: null });
} catch (err) {
  await tellParent({ type: 'latencies', latencies: [], acks: [], error: (err as Error).message });
}
process.exit(0);
