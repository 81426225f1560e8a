// PERF-12: one 100 MB upload through the real server's media endpoint (its own process, SQLite file,
// files beside it), measuring how much the server's resident set grows while it streams (peak minus
// the resident set after a GC before), and its throughput against a bare Node HTTP server that only
// pipes the body to a file, in the same run.
import { request } from 'node:http';
import { readConfig, size } from '../lib/config.js';
import { spawnEntry } from '../lib/child.js';
import { connectRaw } from '../lib/connectRaw.js';
import { log, report, runFigure } from '../lib/report.js';
import { msSince, nowNs, round } from '../lib/stats.js';
import { mintToken } from '../lib/tokens.js';

const config = readConfig();
const BYTES = size(config, 100 * 1024 * 1024, 16 * 1024 * 1024);
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const MIB = 1024 * 1024;

/** POSTs `BYTES` bytes in 64 KiB chunks, honouring backpressure; resolves with the status and the time taken. */
function upload(port: number, path: string, token: string | null, bytes = BYTES): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const started = nowNs();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/octet-stream', 'content-length': bytes, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: msSince(started), body }));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

async function main(): Promise<void> {
  const server = spawnEntry(config, 'benchServer', { args: ['media'] });
  const bare = spawnEntry(config, 'bareUploadServer');
  try {
    const { url, port } = await server.next<{ type: 'listening'; url: string; port: number }>('listening', 60_000);
    const { port: barePort } = await bare.next<{ type: 'listening'; port: number }>('listening', 60_000);
    const token = await mintToken('uploader');
    const client = await connectRaw(url, token);
    const { sid } = await client.request('conversations.create', {});
    await client.close();

    // Warm both paths (JIT, the storage directory, the first buffers) with a 4 MiB upload each.
    const path = `/v1/media?conversationSid=${sid}&filename=big.bin`;
    await upload(barePort, '/', null, 4 * MIB);
    const warm = await upload(port, path, token, 4 * MIB);
    if (warm.status !== 201) throw new Error(`the warm-up upload was answered ${warm.status}: ${warm.body}`);
    server.send({ type: 'memory' });
    const before = (await server.next<{ type: 'memory'; rss: number }>('memory', 30_000)).rss;
    server.send({ type: 'rssWatch' });
    await server.next('rssWatching', 10_000);
    const ours = await upload(port, path, token);
    server.send({ type: 'rssPeak' });
    const peak = (await server.next<{ type: 'rssPeak'; rss: number }>('rssPeak', 10_000)).rss;
    if (ours.status !== 201) throw new Error(`the upload was answered ${ours.status}: ${ours.body}`);
    const baseline = await upload(barePort, '/', null);
    if (baseline.status !== 201) throw new Error(`the bare upload was answered ${baseline.status}`);

    const growth = (peak - before) / MIB;
    const oursRate = BYTES / MIB / (ours.ms / 1000);
    const bareRate = BYTES / MIB / (baseline.ms / 1000);
    log(`ours ${ours.ms.toFixed(0)} ms (${oursRate.toFixed(0)} MiB/s), bare ${baseline.ms.toFixed(0)} ms (${bareRate.toFixed(0)} MiB/s); RSS ${(before / MIB).toFixed(1)} → peak ${(peak / MIB).toFixed(1)} MiB`);
    const common = `${BYTES / MIB} MiB in 64 KiB chunks over loopback, real server in its own process (SQLite file, media files beside it)`;
    report({
      figure: 'PERF-12 memory',
      value: round(growth, 1),
      unit: 'MiB',
      baseline: null,
      ratio: null,
      target: '≤ 32 MiB',
      pass: growth <= 32,
      notes: `${common}; peak resident set sampled every 5 ms during the upload minus the resident set after a GC before it`,
    });
    const ratio = oursRate / bareRate;
    report({
      figure: 'PERF-12 throughput',
      value: round(oursRate, 1),
      unit: 'MiB/s',
      baseline: round(bareRate, 1),
      ratio: round(ratio, 2),
      target: '≥ 50% of a bare Node HTTP upload',
      pass: ratio >= 0.5,
      notes: `${common}; baseline = a bare Node HTTP server piping the same body to a file, same run; ratio = ours / bare`,
    });
  } finally {
    server.kill();
    bare.kill();
  }
}

runFigure(main);
