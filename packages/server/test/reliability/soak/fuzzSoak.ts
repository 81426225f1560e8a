// The long fuzz run of `npm run soak`: the same property as fuzz.spec.ts, on a fresh in-process server,
// until at least `minFrames` adversarial frames have been answered (or the time limit is reached, which
// then counts as a failure).
import { startServer } from '../../../src/index.js';
import { connectUser } from '../../helpers/connectUser.js';
import { KEYS, tokenFor } from '../../helpers/testKeys.js';
import { runFuzz, type FuzzStats } from '../fuzz/fuzzRunner.js';
import { VictimPair } from '../fuzz/VictimPair.js';

export interface FuzzSoakResult {
  readonly stats: FuzzStats;
  readonly victimMessages: number;
  readonly seconds: number;
}

/**
 * Runs the fuzz property in rounds of `scriptsPerRound` scripts, each on a fresh server with fresh
 * victims (seed + round), until `minFrames` frames were answered. Fresh state per round keeps a round's
 * cost flat (the attacker's own conversation otherwise grows by thousands of participants and messages).
 */
export async function fuzzSoak(options: { seed: number; minFrames: number; timeLimitMs: number; scriptsPerRound?: number; log: (line: string) => void }): Promise<FuzzSoakResult> {
  const started = Date.now();
  const total: FuzzStats = { scripts: 0, frames: 0, answers: 0, closes: {}, byKind: {} };
  let victimMessages = 0;
  for (let round = 0; total.frames < options.minFrames; round++) {
    const left = options.timeLimitMs - (Date.now() - started);
    if (left <= 0) throw new Error(`only ${total.frames} fuzz frames within the time limit (${options.minFrames} required)`);
    const roundStarted = Date.now();
    const { stats, victims } = await fuzzRound(options.seed + round, options.scriptsPerRound ?? 1500, left);
    total.scripts += stats.scripts;
    total.frames += stats.frames;
    total.answers += stats.answers;
    for (const [k, v] of Object.entries(stats.closes)) total.closes[k] = (total.closes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(stats.byKind)) total.byKind[k] = (total.byKind[k] ?? 0) + v;
    victimMessages += victims;
    options.log(`  fuzz round ${round} (seed ${options.seed + round}): ${stats.frames} frames, ${victims} victim messages, ${((Date.now() - roundStarted) / 1000).toFixed(1)} s; total ${total.frames}`);
  }
  return { stats: total, victimMessages, seconds: (Date.now() - started) / 1000 };
}

async function fuzzRound(seed: number, scripts: number, timeLimitMs: number): Promise<{ stats: FuzzStats; victims: number }> {
  const server = await startServer({ port: 0, database: ':memory:', keys: KEYS, rateLimit: { burst: 1_000_000, ratePerSecond: 1_000_000 } });
  const victimA = await connectUser(server, 'victim-a');
  const victimB = await connectUser(server, 'victim-b');
  const setup = await connectUser(server, 'fuzz-attacker');
  try {
    const victims = await VictimPair.create(victimA, victimB, 'victims-room');
    const own = await setup.request('conversations.create', { friendlyName: 'attacker’s own' });
    const first = await setup.request('messages.send', { sid: own.sid, body: 'mine', idempotencyKey: 'attacker-first' });
    const target = {
      url: server.url,
      httpUrl: server.httpUrl,
      attackerToken: () => tokenFor('fuzz-attacker'),
      world: { attacker: 'fuzz-attacker', ownSid: own.sid, ownMessage: first.index, victimSid: victims.sid, victimUniqueName: 'victims-room' },
    };
    const stats = await runFuzz(target, victims, { seed, numRuns: scripts, maxFramesPerScript: 40, timeLimitMs });
    return { stats, victims: victims.exchanged };
  } finally {
    await victimA.close();
    await victimB.close();
    await setup.close();
    await server.close();
  }
}
