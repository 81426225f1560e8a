// Runs adversarial scripts against a live server over real sockets and checks every answer against the
// oracle in adversarialFrames.ts, while a victim pair keeps conversing. Framework-free (plain throws) so
// the same code runs in `npm test` (seed-stable, a few thousand frames) and in `npm run soak` (≥ 100,000).
import fc from 'fast-check';
import { isErrorCode, PROTOCOL_VERSION, type ServerFrame } from '@rx-conversations/protocol';
import { TestClient } from '../../helpers/TestClient.js';
import { within } from '../../helpers/within.js';
import { encode, expectFor, script, type ConnectionModel, type ExpectedAnswer, type FrameSpec, type FuzzWorld, type Script } from './adversarialFrames.js';
import { VictimPair } from './VictimPair.js';

/** Counts of what a fuzz run did. */
export interface FuzzStats {
  scripts: number;
  frames: number;
  answers: number;
  closes: Record<string, number>;
  byKind: Record<string, number>;
}

export interface FuzzTarget {
  readonly url: string;
  readonly httpUrl: string;
  /** A valid token for the attacker identity of `world`. */
  readonly attackerToken: () => Promise<string>;
  readonly world: FuzzWorld;
}

const ANSWER_TYPES = new Set(['res', 'pong', 'welcome']);
let keyCounter = 0;
const fresh = (): string => `fz-${process.pid}-${++keyCounter}`;

function matches(expected: ExpectedAnswer, actual: ServerFrame): boolean {
  switch (expected.type) {
    case 'pong': return actual.type === 'pong';
    case 'welcome': return actual.type === 'welcome' && expected.resume.includes(actual.resume);
    case 'res': {
      if (actual.type !== 'res' || actual.id !== expected.id) return false;
      if (expected.outcome === 'ok') return actual.ok;
      return !actual.ok && actual.error.code === expected.outcome;
    }
  }
}


const describeSpec = (spec: FrameSpec): string => {
  const text = JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'function' ? '[fn]' : v));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/** Plays one script on a fresh attacker connection; throws when an answer differs from the oracle's. */
export async function playScript(target: FuzzTarget, s: Script, stats: FuzzStats): Promise<void> {
  const client = await TestClient.connect(target.url, await target.attackerToken(), { hello: false });
  // After a 1009 the peer may reset the socket; an unhandled 'error' would end the process.
  client.socket.on('error', () => undefined);
  const model: ConnectionModel = { phase: 'handshake', lastId: 0 };
  const frames: FrameSpec[] = s.helloFirst ? [{ k: 'hello', v: PROTOCOL_VERSION, lastSeq: { k: 'none' } }, ...s.frames] : [...s.frames];
  const expected: ExpectedAnswer[] = [];
  const sent: FrameSpec[] = [];
  let close: number | undefined;
  let mayBeLost = false;
  try {
    for (const spec of frames) {
      const encoded = encode(spec, model, target.world, fresh);
      const expectation = expectFor(spec, encoded, model);
      sent.push(spec);
      stats.frames += 1;
      stats.byKind[spec.k] = (stats.byKind[spec.k] ?? 0) + 1;
      expected.push(...expectation.answers);
      client.socket.send(encoded.data, { binary: encoded.binary });
      if (expectation.close !== undefined) {
        close = expectation.close;
        mayBeLost = expectation.answersMayBeLost === true;
        break;
      }
    }
    if (close === undefined) {
      // A sentinel request: its answer comes after every answer above (one ordered queue per connection).
      const id = model.lastId + 1;
      client.send({ type: 'req', id, op: 'users.get', args: { identity: target.world.attacker } });
      expected.push({ type: 'res', id, outcome: model.phase === 'live' ? 'ok' : 'handshake_required' });
      await client.waitFor((f) => f.type === 'res' && f.id === id, 15_000);
    } else {
      const closed = await within(client.closed, 15_000, `close ${close}`);
      if (closed.code !== close) throw new Error(`expected close ${close}, got ${closed.code} ${closed.reason}`);
      stats.closes[String(close)] = (stats.closes[String(close)] ?? 0) + 1;
    }
    const answers = client.frames.filter((f) => ANSWER_TYPES.has(f.type));
    stats.answers += answers.length;
    const tooMany = answers.length > expected.length;
    const tooFew = answers.length < expected.length && !mayBeLost;
    const firstBad = answers.findIndex((a, i) => expected[i] === undefined || !matches(expected[i]!, a));
    if (tooMany || tooFew || firstBad !== -1) {
      const at = firstBad === -1 ? Math.min(answers.length, expected.length) : firstBad;
      throw new Error(
        [
          `answer ${at} differs from the oracle (${answers.length} answers, ${expected.length} expected)`,
          `expected: ${JSON.stringify(expected[at])}`,
          `actual:   ${JSON.stringify(answers[at])?.slice(0, 400)}`,
          `frames sent (${sent.length}):`,
          ...sent.map((spec, i) => `  ${i}: ${describeSpec(spec)}`),
        ].join('\n'),
      );
    }
    for (const answer of answers) {
      if (answer.type === 'res' && !answer.ok && !isErrorCode(answer.error.code)) throw new Error(`undocumented code ${answer.error.code}`);
    }
  } finally {
    client.socket.terminate();
  }
}

export interface FuzzOptions {
  readonly seed: number;
  readonly numRuns: number;
  readonly maxFramesPerScript: number;
  /** Stop generating after this long (soak). */
  readonly timeLimitMs?: number;
}

/**
 * Runs the property: for every generated script the attacker's answers match the oracle, the server
 * stays up, and the victims' exchange (running all along) completes with contiguous indexes.
 */
export async function runFuzz(target: FuzzTarget, victims: VictimPair, options: FuzzOptions): Promise<FuzzStats> {
  const stats: FuzzStats = { scripts: 0, frames: 0, answers: 0, closes: {}, byKind: {} };
  const conversing = victims.converse();
  try {
    await fc.assert(
      fc.asyncProperty(script(options.maxFramesPerScript), async (s) => {
        stats.scripts += 1;
        await playScript(target, s, stats);
        if (victims.failure !== undefined) throw new Error(`the victims' exchange broke: ${victims.failure.message}`);
        const health = await fetch(`${target.httpUrl}/healthz`);
        if (health.status !== 200) throw new Error(`healthz answered ${health.status}`);
      }),
      {
        seed: options.seed,
        numRuns: options.numRuns,
        endOnFailure: true,
        ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false }),
      },
    );
  } finally {
    victims.stop();
    await conversing;
  }
  await victims.verify();
  return stats;
}
