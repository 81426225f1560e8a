// Chaos (CONN-3, CONN-4, CONN-5, STORE-5, STORE-7): 10 clients exchange 2,000 messages through a proxy
// that drops, cuts mid-frame, stalls half-open, delays and refuses connections at random (seeded). At
// the end every client's `messages$` is exactly the server's list — the acknowledged messages, in index
// order, none duplicated, none missing — and every send that failed and was retried appears once.
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RATES, runChaos } from './chaosRun.js';

describe('chaos through a fault-injecting proxy', () => {
  it('CONN-5, STORE-7: 10 clients × 200 messages under random faults; every messages$ equals the server’s list', async () => {
    const result = await runChaos({ clients: 10, messagesPerClient: 200, concurrency: 4, seed: 1337, rates: DEFAULT_RATES, deadlineMs: 80_000 });
    process.stdout.write(`chaos: ${result.messages} messages, faults ${JSON.stringify(result.faults)}, ${result.connections} connections, ${result.acknowledged} acknowledged, ${result.clientFailures} client-side send failures, ${result.failedThenRetried} retried with retry(), ${result.seconds.toFixed(1)} s\n`);
    // What the server holds at the end, read back: every one of the 2,000 sends, once.
    expect(result.messages).toBe(10 * 200);
    expect(result.clientFailures).toBeGreaterThan(0);
    expect(result.failedThenRetried).toBeGreaterThan(0);
    // Not vacuous: faults of every kind were injected.
    for (const fault of ['drop', 'cut', 'stall', 'delay', 'refuse'] as const) expect(result.faults[fault]).toBeGreaterThan(0);
  }, 90_000);
});
