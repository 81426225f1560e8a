// PERF-6: resident memory of one server process holding 10,000 idle authenticated connections.
// Server and clients run in separate processes on 127.0.0.1; the server reports its RSS after a full
// GC, before any connection (the baseline) and once every connection has its `welcome`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readConfig, size } from '../lib/config.js';
import { spawnEntry } from '../lib/child.js';
import { log, report, runFigure } from '../lib/report.js';
import { quantile, round } from '../lib/stats.js';

const config = readConfig();
const CONNECTIONS = size(config, 10_000, 1_000);
const CONCURRENCY = 200;
const FD_LIMIT = CONNECTIONS + 2_048;
const MiB = 2 ** 20;
const TARGET = '≤ 1,024 MiB @10k connections';
const PROBE_MESSAGES = size(config, 300, 50);
const PROBE_WARMUP = size(config, 50, 10);

interface Memory {
  type: 'memory';
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

async function main(): Promise<void> {
  const server = spawnEntry(config, 'benchServer', { args: ['idle'], fdLimit: FD_LIMIT });
  const clients = { current: undefined as ReturnType<typeof spawnEntry> | undefined };
  try {
    const { url } = await server.next<{ type: 'listening'; url: string }>('listening', 60_000);
    server.send({ type: 'memory' });
    const before = await server.next<Memory>('memory', 30_000);
    log(`server RSS with no connection: ${(before.rss / MiB).toFixed(1)} MiB`);
    clients.current = spawnEntry(config, 'idleClients', { args: [url, String(CONNECTIONS), String(CONCURRENCY)], fdLimit: FD_LIMIT });
    const connected = await clients.current.next<{
      type: 'connected';
      count: number;
      connectMs: number;
      retries: number;
      firstError: string | null;
      error: string | null;
    }>('connected', 240_000);
    if (connected.error) throw new Error(`only ${connected.count} of ${CONNECTIONS} connected: ${connected.error}`);
    log(`${connected.count} connections welcomed in ${(connected.connectMs / 1000).toFixed(1)} s (${connected.retries} retries${connected.firstError ? `, first error: ${connected.firstError}` : ''})`);
    // Let the handshake garbage settle, then measure.
    await new Promise((r) => setTimeout(r, 1000));
    server.send({ type: 'memory' });
    const after = await server.next<Memory>('memory', 30_000);
    const rssMiB = after.rss / MiB;
    const perConnKiB = (after.rss - before.rss) / 1024 / connected.count;
    log(`server RSS with ${connected.count} connections: ${rssMiB.toFixed(1)} MiB (heap ${(after.heapUsed / MiB).toFixed(1)} MiB)`);
    report({
      figure: 'PERF-6',
      value: round(rssMiB, 1),
      unit: 'MiB',
      baseline: round(before.rss / MiB, 1),
      ratio: null,
      target: TARGET,
      pass: rssMiB <= 1024 && connected.count >= CONNECTIONS,
      notes:
        `${connected.count.toLocaleString('en-US')} idle connections (distinct identities, heartbeats only) from a separate process; ` +
        `RSS after full GC; baseline = same server before any connection; ${perConnKiB.toFixed(1)} KiB per connection ` +
        `(heap ${(after.heapUsed / MiB).toFixed(0)} MiB, external ${(after.external / MiB).toFixed(0)} MiB); ` +
        `handshakes ${Math.round((connected.count / connected.connectMs) * 1000)}/s at ${CONCURRENCY} in flight`,
    });

    // "…and keeps PERF-4 for active ones": the latency probe, with every idle connection still open.
    const probeTarget = '≤ 5 ms p99, ≤ 1 ms p50 @10k idle';
    if (!existsSync(path.join(config.buildDir, 'latencyProbe.mjs'))) {
      report({ figure: 'PERF-6 latency', value: null, unit: 'ms p99', baseline: null, ratio: null, target: probeTarget, pass: null, notes: 'n/a (client not available: bench/procs/latencyProbe did not build)' });
      return;
    }
    const probe = spawnEntry(config, 'latencyProbe', { args: [url, String(PROBE_MESSAGES), String(PROBE_WARMUP)] });
    try {
      const result = await probe.next<{ type: 'latencies'; latencies: number[]; acks: number[]; error: string | null }>('latencies', 120_000);
      if (result.error) throw new Error(result.error);
      const p50 = quantile(result.latencies, 0.5);
      const p99 = quantile(result.latencies, 0.99);
      if (config.profileDir !== undefined) {
        server.send({ type: 'profile' });
        await server.next('profiled', 30_000);
      }
      log(`with ${connected.count} idle: send → messageAdded p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`);
      report({
        figure: 'PERF-6 latency',
        value: round(p99, 3),
        unit: 'ms p99',
        baseline: null,
        ratio: null,
        target: probeTarget,
        pass: p99 <= 5 && p50 <= 1,
        notes: `PERF-4's probe (${PROBE_MESSAGES} sequential sends after ${PROBE_WARMUP} warm-up) while the ${connected.count.toLocaleString('en-US')} idle connections stay open: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`,
      });
    } finally {
      probe.kill();
    }
  } finally {
    clients.current?.kill();
    server.kill();
  }
}

runFigure(main);
