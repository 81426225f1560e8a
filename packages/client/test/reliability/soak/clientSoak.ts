// The client parts of `npm run soak` (loaded by scripts/soak.mjs next to the server's soakMain).
import { DEFAULT_RATES, runChaos } from '../chaosRun.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

/** Soak parts: each returns its figures as a line and throws on failure. */
export const parts = [
  {
    name: 'chaos',
    async run(): Promise<string> {
      const clients = Number(flag('chaos-clients', '10'));
      const perClient = Number(flag('chaos-messages', '2000'));
      const seed = Number(flag('chaos-seed', '4242'));
      const r = await runChaos({
        clients,
        messagesPerClient: perClient,
        concurrency: 4,
        seed,
        rates: DEFAULT_RATES,
        deadlineMs: Number(flag('time-limit-s', '600')) * 1000,
        log: (line) => void process.stdout.write(`${line}\n`),
      });
      return `${r.messages} messages by ${clients} clients (seed ${seed}) equal on every client and the server; faults ${JSON.stringify(r.faults)} over ${r.connections} connections; ${r.clientFailures} client-side send failures, ${r.failedThenRetried} retried with retry(); ${r.seconds.toFixed(1)} s`;
    },
  },
];
