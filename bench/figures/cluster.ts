// PERF-10: send on node A → `messageAdded` on a client of node B, against the same loop with both clients
// on one node of the same PostgreSQL deployment, same run. Two real server processes on one fresh
// PostgreSQL database (created and dropped here), linked by Redis; bare protocol clients, so what is
// measured is the servers, the database and the broker. Also the same loop on one SQLite node, so users
// see what PostgreSQL costs.
import pg from 'pg';
import { readConfig, size } from '../lib/config.js';
import { spawnEntry, type BenchChild } from '../lib/child.js';
import { log, report, runFigure } from '../lib/report.js';
import { measureRawSendLatency } from '../lib/rawSendLatency.js';
import { quantile, round } from '../lib/stats.js';

const config = readConfig();
const MESSAGES = size(config, 1_000, 150); // a multiple of ROUNDS
const WARMUP = size(config, 100, 20);
const ROUNDS = 5;
const ADMIN = process.env['RXC_BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BROKER = process.env['RXC_BENCH_REDIS'] ?? 'redis://127.0.0.1:6379';

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function listening(child: BenchChild): Promise<string> {
  return (await child.next<{ type: 'listening'; url: string }>('listening', 60_000)).url;
}

async function main(): Promise<void> {
  const name = `rxc_bench_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const children: BenchChild[] = [];
  try {
    const sqlite = spawnEntry(config, 'benchServer', { args: ['cluster-sqlite'] });
    children.push(sqlite);
    const local = await measureRawSendLatency(await listening(sqlite), MESSAGES, WARMUP, 'perf10sqlite');
    const a = spawnEntry(config, 'benchServer', { args: ['cluster-a', 'default', url.toString(), BROKER] });
    children.push(a);
    const b = spawnEntry(config, 'benchServer', { args: ['cluster-b', 'default', url.toString(), BROKER] });
    children.push(b);
    const [urlA, urlB] = await Promise.all([listening(a), listening(b)]);
    // Interleaved rounds, so that warm-up and the machine's load fall on both loops alike.
    const oneNode: number[] = [];
    const across: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      oneNode.push(...(await measureRawSendLatency(urlA, MESSAGES / ROUNDS, WARMUP, `perf10one${round}`)).latencies);
      across.push(...(await measureRawSendLatency(urlA, MESSAGES / ROUNDS, WARMUP, `perf10across${round}`, undefined, urlB)).latencies);
    }

    const q = (latencies: number[], p: number) => quantile(latencies, p);
    const [one50, one99, x50, x99, sq50] = [q(oneNode, 0.5), q(oneNode, 0.99), q(across, 0.5), q(across, 0.99), q(local.latencies, 0.5)];
    log(`SQLite node p50 ${sq50.toFixed(3)} ms; one PostgreSQL node p50 ${one50.toFixed(3)} / p99 ${one99.toFixed(3)} ms; A → B p50 ${x50.toFixed(3)} / p99 ${x99.toFixed(3)} ms`);
    const method =
      `${MESSAGES} sequential sends in ${ROUNDS} interleaved rounds (each after ${WARMUP} warm-up) between two bare protocol clients; ours = sender on node A, ` +
      `receiver on node B (two server processes, one PostgreSQL database, Redis broker); baseline = both clients on node A, same run, same database`;
    report({ figure: 'PERF-10 p50', value: round(x50, 3), unit: 'ms', baseline: round(one50, 3), ratio: round(x50 / one50, 2), target: '≤ 1.5×', pass: x50 / one50 <= 1.5, notes: method });
    report({ figure: 'PERF-10 p99', value: round(x99, 3), unit: 'ms', baseline: round(one99, 3), ratio: round(x99 / one99, 2), target: '≤ 2×', pass: x99 / one99 <= 2, notes: 'same run as PERF-10 p50' });
    report({
      figure: 'PERF-10 PostgreSQL',
      value: round(one50, 3),
      unit: 'ms p50',
      baseline: round(sq50, 3),
      ratio: round(one50 / sq50, 2),
      target: '(diagnostic)',
      pass: null,
      notes: 'one PostgreSQL node against one SQLite node (file, default durability), same loop, same run',
    });
  } finally {
    for (const child of children) child.kill();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

runFigure(main);
