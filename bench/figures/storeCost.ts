// PERF-1 and PERF-8: the store's own apply cost, with the store's micro-benchmark
// (packages/client/bench/storeApply.ts, owned with the store): one `messageAdded` per batch appended to
// a window of 1k vs 100k held messages (1,000 conversations), the same for an out-of-order arrival
// that fills a hole, and merging a 100-message page into the window. Small and large alternate over
// several rounds; medians are reported.
import { measureStoreApply, type StoreApplyResult } from '../../packages/client/bench/storeApply.js';
import { readConfig, size } from '../lib/config.js';
import { log, report } from '../lib/report.js';
import { collectGarbage, median, round } from '../lib/stats.js';

const config = readConfig();
const SMALL = 1_000;
const LARGE = size(config, 100_000, 10_000);
const CONVERSATIONS = size(config, 1_000, 100);
const ROUNDS = size(config, 9, 1);
const MAX_EVENTS = size(config, 2_000, 500);
/** Time one measurement (one size) may take, and the whole figure: the run stays bounded however slow the store is. */
const CALL_BUDGET_MS = size(config, 4_000, 1_000);
const FIGURE_BUDGET_MS = size(config, 120_000, 20_000);
let events = 50;

function run(heldMessages: number): StoreApplyResult {
  collectGarbage();
  return measureStoreApply({ heldMessages, conversations: CONVERSATIONS, events });
}

const started = process.hrtime.bigint();
const elapsedMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
// Warm-up, and a first taste of the cost that sizes the measurement: each call applies ~2.5 × events.
const taste = run(SMALL);
const perEventNs = Math.max(taste.nsPerEvent, taste.nsPerGapFill);
events = Math.max(50, Math.min(MAX_EVENTS, Math.round((CALL_BUDGET_MS * 1e6) / (2.5 * perEventNs))));
log(`~${(perEventNs / 1000).toFixed(1)} µs per event at ${SMALL} held: ${events} events per measurement`);

const small: StoreApplyResult[] = [];
const large: StoreApplyResult[] = [];
for (let r = 0; r < ROUNDS && (r === 0 || elapsedMs() < FIGURE_BUDGET_MS); r++) {
  small.push(run(SMALL));
  large.push(run(LARGE));
  log(`round ${r + 1}: append ${(small[r]!.nsPerEvent / 1000).toFixed(1)} → ${(large[r]!.nsPerEvent / 1000).toFixed(1)} µs, gap fill ${(small[r]!.nsPerGapFill / 1000).toFixed(1)} → ${(large[r]!.nsPerGapFill / 1000).toFixed(1)} µs, page merge ${(small[r]!.nsPerPageMerge / 1000).toFixed(1)} → ${(large[r]!.nsPerPageMerge / 1000).toFixed(1)} µs`);
}
const us = (results: StoreApplyResult[], key: keyof StoreApplyResult): number => median(results.map((r) => r[key])) / 1000;
// The ratio is paired: each round's large over the same round's small, then the median. Drift in
// machine load between rounds (this shares 2 cores with whatever else runs) then cancels.
const pairedRatio = (key: keyof StoreApplyResult): number => median(large.map((r, i) => r[key] / small[i]![key]));
const where =
  `${LARGE.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} messages held in one window, ${CONVERSATIONS.toLocaleString('en-US')} conversations, ` +
  `${events} events each in its own batch${events < MAX_EVENTS ? ` (fewer than ${MAX_EVENTS}: events are slow, the run is time-bounded)` : ''}; ` +
  `median of ${small.length} alternating rounds; store reducer only (packages/client/bench/storeApply.ts), no parsing or notification`;

const append = { large: us(large, 'nsPerEvent'), small: us(small, 'nsPerEvent') };
report({
  figure: 'PERF-1',
  value: round(append.large, 2),
  unit: 'µs/event',
  baseline: round(append.small, 2),
  ratio: round(pairedRatio('nsPerEvent'), 2),
  target: '≤ 1.5× (100k vs 1k held)',
  pass: pairedRatio('nsPerEvent') <= 1.5,
  notes: `live messageAdded appended; value = median cost @${LARGE.toLocaleString('en-US')} held, baseline = median cost @${SMALL.toLocaleString('en-US')}, ratio = median of per-round ratios; ${where}`,
});
const gap = { large: us(large, 'nsPerGapFill'), small: us(small, 'nsPerGapFill') };
report({
  figure: 'PERF-1 gap',
  value: round(gap.large, 2),
  unit: 'µs/event',
  baseline: round(gap.small, 2),
  ratio: round(pairedRatio('nsPerGapFill'), 2),
  target: '≤ 1.5× (100k vs 1k held)',
  pass: pairedRatio('nsPerGapFill') <= 1.5,
  notes: `out-of-order messageAdded filling holes spread over the window (every 4th index missing); ${where}`,
});
const merge = { large: us(large, 'nsPerPageMerge'), small: us(small, 'nsPerPageMerge') };
report({
  figure: 'PERF-8',
  value: round(merge.large, 1),
  unit: 'µs',
  baseline: round(merge.small, 1),
  ratio: round(pairedRatio('nsPerPageMerge'), 2),
  target: '≤ 150 µs',
  pass: merge.large <= 150,
  notes: `merging a 100-message page into the ${LARGE.toLocaleString('en-US')}-message window (baseline: the same into ${SMALL.toLocaleString('en-US')}); the window misses every 4th index, so the page overlaps messages already held; ratio (median of per-round ratios) for reference only; ${where}`,
});
process.exit(0);
