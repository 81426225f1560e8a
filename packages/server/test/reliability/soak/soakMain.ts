// Entry point of `npm run soak` (bundled by scripts/soak.mjs). Runs the long variants of the reliability
// tests and prints what each did; exits non-zero on the first failure.
//   --only fuzz|chaos       run one part
//   --seed <n>              fast-check seed of the fuzz part (default: fixed)
//   --fuzz-frames <n>       minimum adversarial frames (default 100000)
//   --time-limit-s <n>      time limit per part (default 600)
import { fuzzSoak } from './fuzzSoak.js';

/** One long run: returns its figures as a line, throws on failure. */
export interface Part {
  readonly name: string;
  run(): Promise<string>;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

const seed = Number(flag('seed', '20251122'));
const minFrames = Number(flag('fuzz-frames', '100000'));
const timeLimitMs = Number(flag('time-limit-s', '600')) * 1000;
const only = flag('only', '');
const log = (line: string): void => void process.stdout.write(`${line}\n`);

const parts: Part[] = [
  {
    name: 'fuzz',
    async run() {
      const { stats, victimMessages, seconds } = await fuzzSoak({ seed, minFrames, timeLimitMs, log });
      return `${stats.frames} adversarial frames in ${stats.scripts} scripts (seed ${seed}), ${stats.answers} answers checked, closes ${JSON.stringify(stats.closes)}, by kind ${JSON.stringify(stats.byKind)}; victims exchanged ${victimMessages} messages unharmed; ${seconds.toFixed(1)} s`;
    },
  },
];

export async function main(more: Part[] = []): Promise<number> {
  let failed = false;
  for (const part of [...parts, ...more]) {
    if (only !== '' && only !== part.name) continue;
    log(`soak: ${part.name} …`);
    const started = Date.now();
    try {
      log(`soak: ${part.name} ok — ${await part.run()}`);
    } catch (err) {
      failed = true;
      log(`soak: ${part.name} FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      log(err instanceof Error ? (err.stack ?? err.message) : String(err));
      if (err instanceof Error && err.cause !== undefined) log(`cause: ${err.cause instanceof Error ? err.cause.message : String(err.cause)}`);
    }
  }
  return failed ? 1 : 0;
}
