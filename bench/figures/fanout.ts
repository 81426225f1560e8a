// PERF-3: what one event costs the client when 1,000 per-conversation observers are subscribed,
// against the same with 1 observer. One ConversationsClient on an in-process transport (no network),
// in a world of 1,000 conversations, always observes conversation c0's `state$`; in alternate rounds
// the other 999 conversations' `state$` are observed too (subscribed before the round, unsubscribed
// after, outside the timing). Every round pushes the same kind of `messageAdded` events for c0, one
// websocket message each. Using one client for both configurations keeps heap, JIT state and store
// contents identical, so the difference is what the 999 extra observers cost per event.
import type { Subscription } from 'rxjs';
import { ConversationsClient } from '@rx-conversations/client';
import { readConfig, size } from '../lib/config.js';
import { READER, conversationSid, messageAddedFrame } from '../lib/fixtures.js';
import { InProcessTransport } from '../lib/InProcessTransport.js';
import { log, report, runFigure } from '../lib/report.js';
import { collectGarbage, median, round } from '../lib/stats.js';
import { SyntheticServer } from '../lib/SyntheticServer.js';
import { mintToken } from '../lib/tokens.js';

const config = readConfig();
const CONVERSATIONS = 1_000;
const OBSERVERS = 1_000;
/** Upper bound of events per round; fewer when events are slow, so a round stays near ROUND_MS. */
const MAX_EVENTS_PER_ROUND = size(config, 2_000, 500);
const ROUND_MS = size(config, 150, 60);
const ROUNDS = size(config, 40, 8); // pairs of rounds (1 observer, 1,000 observers)
const WARMUP_ROUNDS = size(config, 4, 3);
let eventsPerRound = 200;

const transport = new InProcessTransport(new SyntheticServer(CONVERSATIONS, 0));
let nextIndex = 0;

function serialise(count: number): string[] {
  const messages: string[] = [];
  for (let i = 0; i < count; i++) messages.push(JSON.stringify(messageAddedFrame(++transport.headSeq, 0, nextIndex++)));
  return messages;
}

/** Pushes one round of events (pre-serialised, one per message); returns ns per event. */
function pushRound(): number {
  for (const data of serialise(50)) transport.push(data); // untimed lead-in after the pause between rounds
  const messages = serialise(eventsPerRound);
  const t0 = process.hrtime.bigint();
  for (const data of messages) transport.push(data);
  return Number(process.hrtime.bigint() - t0) / eventsPerRound;
}

const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;

async function pause(): Promise<void> {
  // Let timers and replies the client scheduled run between rounds, not inside them.
  await new Promise((resolve) => setImmediate(resolve));
  // Two scavenges promote what is still alive (the observers just subscribed) out of the young
  // generation; otherwise every scavenge inside the next round copies them again, and the round pays
  // for how recently they were subscribed rather than for how many there are. (A full GC here would be
  // worse: the round after it pays for regrowing the heap.)
  gc?.({ type: 'minor' });
  gc?.({ type: 'minor' });
}

async function main(): Promise<void> {
  const client = new ConversationsClient(await mintToken(READER), { url: 'ws://in-process.invalid/', WebSocket: transport.WebSocket });
  await client.whenSynchronized();
  const always = client.conversation(conversationSid(0)).state$.subscribe(() => {});
  const handles = Array.from({ length: OBSERVERS - 1 }, (_, n) => client.conversation(conversationSid(n + 1)));
  let extra: Subscription[] = [];
  const observeAll = (): void => {
    extra = handles.map((h) => h.state$.subscribe(() => {}));
  };
  const observeOne = (): void => {
    for (const s of extra) s.unsubscribe();
    extra = [];
  };
  await new Promise((r) => setTimeout(r, 200));
  collectGarbage();

  // Size the rounds from a first taste of the cost, so the run stays bounded however slow events are.
  eventsPerRound = 200;
  const taste = pushRound();
  eventsPerRound = Math.max(200, Math.min(MAX_EVENTS_PER_ROUND, Math.round((ROUND_MS * 1e6) / taste)));

  // No forced GC between rounds: the round right after a full GC pays for regrowing the heap, which
  // would swamp a sub-microsecond difference. The order within a pair alternates.
  const costOne: number[] = [];
  const costMany: number[] = [];
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      await pause();
      a = pushRound();
      observeAll();
      await pause();
      b = pushRound();
      observeOne();
    } else {
      observeAll();
      await pause();
      b = pushRound();
      observeOne();
      await pause();
      a = pushRound();
    }
    await pause();
    if (r >= WARMUP_ROUNDS) {
      costOne.push(a);
      costMany.push(b);
    }
  }
  always.unsubscribe();
  await client.shutdown();

  const diffs = costMany.map((b, i) => b - costOne[i]!);
  const routing = median(diffs) / 1000;
  const oneUs = median(costOne) / 1000;
  const manyUs = median(costMany) / 1000;
  log(`per event: ${oneUs.toFixed(2)} µs with 1 observer, ${manyUs.toFixed(2)} µs with ${OBSERVERS} → routing ${routing.toFixed(3)} µs`);
  report({
    figure: 'PERF-3',
    value: round(routing, 3),
    unit: 'µs/event',
    baseline: round(oneUs, 2),
    ratio: round(manyUs / oneUs, 3),
    target: '≤ 0.5 µs routing @1,000 observers',
    pass: routing <= 0.5,
    notes:
      `value = median over paired rounds of (cost per event with ${OBSERVERS} per-conversation state$ observers − with 1); baseline = median cost with 1 ` +
      `(with ${OBSERVERS}: ${manyUs.toFixed(2)} µs); ratio = cost@${OBSERVERS} / cost@1. Whole client path (parse, route, reduce, notify), one event per ` +
      `websocket message, one client on an in-process transport (no network), ${CONVERSATIONS} conversations, events for the conversation observed in both; ` +
      `${ROUNDS} pairs × ${eventsPerRound} events after ${WARMUP_ROUNDS} warm-up pairs, order alternating`,
  });
}

runFigure(main);
