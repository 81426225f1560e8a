// Development probe for PERF-2 (not a figure): the client's CPU cost per streamed event on one thread,
// with no network and no second process, so profiles and per-event costs compare within a run on a
// busy machine. 100 frames per websocket message like the stream server; 100k held in c0.
// Build and run: node bench/dev/run.mjs streamCost [observed|unobserved|bare] [--profile]
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector';
import { ConversationsClient } from '@rx-conversations/client';
import { READER, conversationSid, messageAddedFrame } from '../lib/fixtures.js';
import { InProcessTransport } from '../lib/InProcessTransport.js';
import { SyntheticServer } from '../lib/SyntheticServer.js';
import { mintToken } from '../lib/tokens.js';

const HISTORY = 100_000;
const BATCH = 100;
const EVENTS = 100_000;
const mode = process.argv[2] ?? 'observed';
const profile = process.argv.includes('--profile');
/** `--heap`: a sampling heap profile of the stream instead (where the garbage comes from). */
const heap = process.argv.includes('--heap');
const transport = new InProcessTransport(new SyntheticServer(1_000, HISTORY));
const client = new ConversationsClient(await mintToken(READER), { url: 'ws://in-process.invalid/', WebSocket: transport.WebSocket, maxWindowMessages: Infinity });
await client.whenSynchronized();
const handle = client.conversation(conversationSid(0));
let held = 0;
let shown: () => void = () => {};
const view = handle.messages$.subscribe((m) => {
  held = m.length;
  if (m[m.length - 1]?.index === HISTORY + EVENTS - 1) shown();
});
while (held < HISTORY) await handle.loadOlder(1000);
if (mode !== 'observed') view.unsubscribe();
let seq = transport.headSeq;
let index = HISTORY;
const messages: string[] = [];
for (let b = 0; b < EVENTS / BATCH; b++) {
  const frames: string[] = [];
  for (let i = 0; i < BATCH; i++) frames.push(JSON.stringify(messageAddedFrame(++seq, 0, index++)));
  messages.push(`[${frames.join(',')}]`);
}
transport.headSeq = seq;
const s = new Session();
const post = (m: string, params?: object) => new Promise<{ profile?: unknown }>((res, rej) => s.post(m, params, (e, r) => (e ? rej(e) : res(r as { profile?: unknown }))));
if (profile) { s.connect(); await post('Profiler.enable'); await post('Profiler.start'); }
if (heap) { s.connect(); await post('HeapProfiler.enable'); await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }); }
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (const data of messages) {
  if (mode === 'bare') { const f = JSON.parse(data) as { seq: number }[]; for (const x of f) if (x.seq < 0) throw new Error(); }
  else transport.push(data);
}
// Observed: the end is when messages$ shows the last message (its coalesced emission comes on a timer).
if (mode === 'observed' && held < HISTORY + EVENTS) await new Promise<void>((resolve) => (shown = resolve));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / EVENTS;
if (heap) writeFileSync(path.join(tmpdir(), `stream-${mode}.heapprofile`), JSON.stringify((await post('HeapProfiler.stopSampling')).profile));
if (profile) writeFileSync(path.join(tmpdir(), `stream-${mode}.cpuprofile`), JSON.stringify((await post('Profiler.stop')).profile));
// CPU time (all threads, GC helpers included) moves less than wall time when other work shares the cores.
console.log(`${mode}: ${((EVENTS / ms) * 1000).toFixed(0)} events/s, ${((ms * 1000) / EVENTS).toFixed(2)} µs/event wall, ${cpuUs.toFixed(2)} µs/event CPU, held ${held}`);
await client.shutdown();
process.exit(0);
