// PERF-4: send → `messageAdded` latency between two ConversationsClient instances on loopback, with
// 100 connections open on one real server (its own process, SQLite file, default durability). The
// other 98 are idle protocol clients. One client sends N messages one after another; each time is from
// the `sendMessage` call to the other client's `messageAdded$` emission of that message.
import { readConfig, size } from '../lib/config.js';
import { spawnEntry } from '../lib/child.js';
import { connectRaw, type TestClient } from '../lib/connectRaw.js';
import { log, report, runFigure } from '../lib/report.js';
import { measureRawSendLatency } from '../lib/rawSendLatency.js';
import { measureSendLatency, SEND_INTERVAL_MS } from '../lib/sendLatency.js';
import { median, quantile, round } from '../lib/stats.js';
import { mintToken } from '../lib/tokens.js';

const config = readConfig();
const MESSAGES = size(config, 1_000, 200);
const WARMUP = size(config, 100, 20);
const CONNECTIONS = 100;

async function main(): Promise<void> {
  const server = spawnEntry(config, 'benchServer', { args: ['latency'] });
  const raws: TestClient[] = [];
  try {
    const { url } = await server.next<{ type: 'listening'; url: string }>('listening', 60_000);
    for (let i = 0; i < CONNECTIONS - 2; i++) raws.push(await connectRaw(url, await mintToken(`idle-${i}`)));
    // Baseline first, on the same server and connections: two bare protocol clients.
    const raw = await measureRawSendLatency(url, MESSAGES, WARMUP, 'perf4raw');
    const raw50 = quantile(raw.latencies, 0.5);
    const raw99 = quantile(raw.latencies, 0.99);
    log(`bare protocol clients: p50 ${raw50.toFixed(3)} ms, p99 ${raw99.toFixed(3)} ms`);
    const { latencies, acks } = await measureSendLatency(url, MESSAGES, WARMUP, 'perf4');
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    const max = Math.max(...latencies);
    log(`ConversationsClient: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${max.toFixed(2)} ms`);
    const method =
      `${MESSAGES} sequential sends (one every ${SEND_INTERVAL_MS} ms, under the default rate limit) after ${WARMUP} warm-up, ${CONNECTIONS} connections (2 ConversationsClient + ${CONNECTIONS - 2} idle protocol clients), ` +
      `real server in its own process (SQLite file, default durability 'normal'); both SDK clients share one process; ` +
      `sendMessage resolved (ack, read-your-writes) p50 ${median(acks).toFixed(3)} ms, p99 ${quantile(acks, 0.99).toFixed(3)} ms; ` +
      `baseline = the same loop between two bare protocol clients (ws + JSON.parse, no SDK) on the same server, ratio = ours / baseline`;
    if (config.profileDir !== undefined) {
      server.send({ type: 'profile' });
      await server.next('profiled', 30_000);
    }
    report({ figure: 'PERF-4 p50', value: round(p50, 3), unit: 'ms', baseline: round(raw50, 3), ratio: round(p50 / raw50, 2), target: '≤ 1 ms', pass: p50 <= 1, notes: method });
    report({ figure: 'PERF-4 p99', value: round(p99, 3), unit: 'ms', baseline: round(raw99, 3), ratio: round(p99 / raw99, 2), target: '≤ 5 ms', pass: p99 <= 5, notes: `max ${max.toFixed(2)} ms; same run as PERF-4 p50` });
  } finally {
    for (const raw of raws) raw.terminate();
    server.kill();
  }
}

runFigure(main);
