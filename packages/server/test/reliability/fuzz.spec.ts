// Fuzzing (SRV-6): a seed-stable fast-check run of adversarial frames over a real socket. Every frame gets
// exactly the answer the documented rules give it (or the documented close), the server stays up, and a
// victim pair conversing all along is unaffected. `npm run soak` runs the same property ≥ 100,000 frames.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type RunningServer } from '../../src/index.js';
import { connectUser } from '../helpers/connectUser.js';
import { KEYS, tokenFor } from '../helpers/testKeys.js';
import type { TestClient } from '../helpers/TestClient.js';
import { runFuzz, type FuzzTarget } from './fuzz/fuzzRunner.js';
import { VictimPair } from './fuzz/VictimPair.js';

/** Fixed so a failure replays exactly; change only on purpose. */
const SEED = 20_251_122;

let server: RunningServer;
const open: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: KEYS, rateLimit: { burst: 1_000_000, ratePerSecond: 1_000_000 } });
});
afterAll(async () => {
  for (const client of open) await client.close();
  await server.close();
});

describe('fuzzing the wire protocol (SRV-6)', () => {
  it('SRV-6: thousands of adversarial frames each get their documented answer; the server and the victims are unaffected', async () => {
    const victimA = await connectUser(server, 'victim-a');
    const victimB = await connectUser(server, 'victim-b');
    const setup = await connectUser(server, 'fuzz-attacker');
    open.push(victimA, victimB, setup);
    const victims = await VictimPair.create(victimA, victimB, 'victims-room');
    const own = await setup.request('conversations.create', { friendlyName: 'attacker’s own' });
    const first = await setup.request('messages.send', { sid: own.sid, body: 'mine', idempotencyKey: 'attacker-first' });
    const target: FuzzTarget = {
      url: server.url,
      httpUrl: server.httpUrl,
      attackerToken: () => tokenFor('fuzz-attacker'),
      world: { attacker: 'fuzz-attacker', ownSid: own.sid, ownMessage: first.index, victimSid: victims.sid, victimUniqueName: 'victims-room' },
    };

    const stats = await runFuzz(target, victims, { seed: SEED, numRuns: 300, maxFramesPerScript: 40 });

    // The run is not vacuous: it covered every kind of frame, closes included, and the victims talked.
    expect(stats.frames).toBeGreaterThanOrEqual(4000);
    expect(Object.keys(stats.byKind).sort()).toEqual(['badUtf8', 'deepArray', 'deepType', 'garbage', 'hello', 'nonObject', 'ping', 'req', 'sized', 'unknownType']);
    expect(stats.closes['1009'] ?? 0).toBeGreaterThan(0);
    expect(victims.exchanged).toBeGreaterThan(10);
    process.stdout.write(`fuzz: ${stats.frames} frames in ${stats.scripts} scripts, ${stats.answers} answers, closes ${JSON.stringify(stats.closes)}, victims exchanged ${victims.exchanged}\n`);
  }, 60_000);
});
