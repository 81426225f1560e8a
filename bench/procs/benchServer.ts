// The real server in its own process, for the figures that measure it (PERF-4/5/6/9): an SQLite file in
// the bench's scratch directory, default durability, the bench key. Answers `memory` with its resident
// set after a full GC, `busy` with the event loop's busy time since the previous `busy`, and `close`.
// `rssWatch` starts sampling the resident set every 5 ms and `rssPeak` answers the highest sample since
// (PERF-12). A second argument `unlimited` lifts the per-connection rate limit (for building big conversations); a
// third, a postgres:// URL, replaces the SQLite file, and a fourth, a redis:// URL, links the node to
// others on that database (PERF-10).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { startServer } from '@rx-conversations/server';
import { readConfig } from '../lib/config.js';
import { onParentMessage, tellParent } from '../lib/child.js';
import { collectGarbage } from '../lib/stats.js';
import { BENCH_KEYS } from '../lib/tokens.js';

const config = readConfig();
const [name = 'bench', limits = 'default', shared, broker] = process.argv.slice(2);
const database = shared ?? path.join(config.tmpDir, `${name}-${process.pid}.sqlite`);

const server = await startServer({
  port: 0,
  database,
  keys: BENCH_KEYS,
  ...(broker === undefined ? {} : { broker }),
  ...(limits === 'unlimited' ? { rateLimit: { ratePerSecond: 1e9, burst: 1e9 } } : {}),
});
let utilization = performance.eventLoopUtilization();
let rssPeak = 0;
let rssTimer: NodeJS.Timeout | undefined;
// `--profile`: a V8 CPU profile of the server's whole life and its GC pauses, written at `close`.
const profiler = config.profileDir === undefined ? null : new Session();
const gcPauses: { at: number; ms: number; kind: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ at: e.startTime, ms: e.duration, kind: ((e as { detail?: { kind?: number } }).detail?.kind ?? 0) });
});
if (profiler !== null) {
  profiler.connect();
  profiler.post('Profiler.enable');
  profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  profiler.post('Profiler.start');
  gcObserver.observe({ entryTypes: ['gc'] });
}
function writeProfile(): Promise<void> {
  if (profiler === null) return Promise.resolve();
  return new Promise((resolve) =>
    profiler.post('Profiler.stop', (err, result) => {
      mkdirSync(config.profileDir!, { recursive: true });
      const base = path.join(config.profileDir!, `server-${name}-${process.pid}`);
      if (err === null) writeFileSync(`${base}.cpuprofile`, JSON.stringify(result.profile));
      writeFileSync(`${base}.gc.json`, JSON.stringify(gcPauses));
      process.stderr.write(`    · server CPU profile and GC pauses: ${path.relative(process.cwd(), base)}.*\n`);
      resolve();
    }),
  );
}
tellParent({ type: 'listening', url: server.url, port: server.port, database });

onParentMessage(async (command) => {
  if (command.type === 'memory') {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 200));
    collectGarbage();
    const usage = process.memoryUsage();
    tellParent({ type: 'memory', rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers });
  } else if (command.type === 'busy') {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, utilization);
    utilization = now;
    tellParent({ type: 'busy', activeMs: delta.active, idleMs: delta.idle });
  } else if (command.type === 'rssWatch') {
    rssPeak = process.memoryUsage.rss();
    clearInterval(rssTimer);
    rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 5);
    tellParent({ type: 'rssWatching' });
  } else if (command.type === 'rssPeak') {
    clearInterval(rssTimer);
    tellParent({ type: 'rssPeak', rss: Math.max(rssPeak, process.memoryUsage.rss()) });
  } else if (command.type === 'profile') {
    await writeProfile();
    tellParent({ type: 'profiled' });
  } else if (command.type === 'close') {
    await server.close();
    await writeProfile();
    tellParent({ type: 'closed' });
    process.exit(0);
  }
});
