// PERF-2 baseline: a bare `ws` client that receives the stream and `JSON.parse`s every message, and
// looks at each frame's `seq` — the least any client must do with these bytes.
import WebSocket from 'ws';
import { onParentMessage, tellParent } from '../lib/child.js';

const [url, framesArg] = process.argv.slice(2);
const FRAMES = Number(framesArg);

let t0: bigint | undefined;
let lastSeq = 0;
let outOfOrder = 0;
let welcomed = false;
const socket = new WebSocket(url!, ['rxc.v1', 'rxc.auth.bench'], { perMessageDeflate: false });
socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', v: 2 })));
socket.on('message', (data) => {
  if (!welcomed) {
    welcomed = true; // the first message is the welcome
    void tellParent({ type: 'ready', held: 0 });
    return;
  }
  t0 ??= process.hrtime.bigint();
  const parsed = JSON.parse(String(data)) as { type: string; seq?: number } | { type: string; seq?: number }[];
  const frames = Array.isArray(parsed) ? parsed : [parsed];
  for (const frame of frames) {
    if (frame.type !== 'ev') continue;
    if (frame.seq !== lastSeq + 1) outOfOrder++;
    lastSeq = frame.seq!;
  }
  if (lastSeq === FRAMES) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    void tellParent({ type: 'done', ms, events: FRAMES, outOfOrder });
  }
});
onParentMessage((command) => {
  if (command.type === 'progress') {
    const ms = t0 === undefined ? 0 : Number(process.hrtime.bigint() - t0) / 1e6;
    void tellParent({ type: 'progress', ms, events: lastSeq });
  }
});
