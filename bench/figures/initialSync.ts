// PERF-5: time from `new ConversationsClient` to `synchronization$` 'completed' for a user in 1,000
// conversations (each with one message), against the real server in its own process on loopback.
import WebSocket from 'ws';
import { filter, firstValueFrom } from 'rxjs';
import { ConversationsClient } from '@rx-conversations/client';
import { readConfig, size } from '../lib/config.js';
import { spawnEntry } from '../lib/child.js';
import { log, report, runFigure } from '../lib/report.js';
import { seedConversations } from '../lib/seed.js';
import { median, msSince, nowNs, round } from '../lib/stats.js';
import { mintToken } from '../lib/tokens.js';

const config = readConfig();
const CONVERSATIONS = size(config, 1_000, 100);
const REPEATS = size(config, 5, 2);

async function main(): Promise<void> {
  const server = spawnEntry(config, 'benchServer', { args: ['sync'] });
  try {
    const { url } = await server.next<{ type: 'listening'; url: string }>('listening', 60_000);
    const token = await mintToken('sync-user');
    const seedStart = nowNs();
    await seedConversations(url, token, CONVERSATIONS, 1);
    log(`seeded ${CONVERSATIONS} conversations (1 message each) in ${(msSince(seedStart) / 1000).toFixed(1)} s`);

    const times: number[] = [];
    const listTimes: number[] = [];
    let held = 0;
    for (let r = 0; r < REPEATS + 1; r++) {
      const t0 = nowNs();
      const client = new ConversationsClient(token, { url, WebSocket });
      let listAt = 0;
      const listed = client.synchronization$.subscribe((status) => {
        if (status === 'conversationsListCompleted') listAt = msSince(t0);
      });
      const status = await firstValueFrom(client.synchronization$.pipe(filter((s) => s === 'completed' || s === 'failed')));
      const ms = msSince(t0);
      listed.unsubscribe();
      if (status === 'failed') throw new Error('synchronization failed');
      held = (await firstValueFrom(client.conversations$)).length;
      await client.shutdown();
      if (r === 0) continue; // first run warms the server's caches and our JIT
      times.push(ms);
      listTimes.push(listAt);
      log(`run ${r}: completed in ${ms.toFixed(1)} ms (conversationsListCompleted at ${listAt.toFixed(1)} ms), ${held} conversations`);
    }
    const value = median(times);
    report({
      figure: 'PERF-5',
      value: round(value, 1),
      unit: 'ms',
      baseline: null,
      ratio: null,
      target: '≤ 1,000 ms',
      pass: value <= 1000 && held === CONVERSATIONS,
      notes:
        `median of ${REPEATS} fresh clients (after 1 warm-up) for a user in ${CONVERSATIONS} conversations seeded through the real server's protocol; ` +
        `conversationsListCompleted at ${median(listTimes).toFixed(1)} ms; conversations$ held ${held}; real server in its own process, SQLite file`,
    });
  } finally {
    server.kill();
  }
}

runFigure(main);
