// PERF-2 stream server: a `ws` server that speaks just enough of protocol v1 (subprotocol selection,
// hello → welcome, the reads a client makes while synchronising and paging history) and then, on the
// figure's command, streams the same pre-serialised `ev messageAdded` frames to every client that
// connected since the last stream. It stands in for the real server because seeding 200k events
// through SQLite would dominate the run; the bytes on the wire are what the real server sends
// (frames enqueued in one tick leave as one JSON array, see packages/server OutboundQueue).
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame } from '@rx-conversations/protocol';
import { onParentMessage, tellParent } from '../lib/child.js';
import { EPOCH, messageAddedFrame } from '../lib/fixtures.js';
import { SyntheticServer } from '../lib/SyntheticServer.js';

const [framesArg, batchArg, historyArg, conversationsArg] = process.argv.slice(2);
const FRAMES = Number(framesArg);
const BATCH = Number(batchArg);
const HISTORY = Number(historyArg);
const CONVERSATIONS = Number(conversationsArg);
/** Stop writing while this much is buffered for a socket; resume when it drains (no unbounded memory). */
const HIGH_WATER = 4 * 1024 * 1024;

// Pre-serialise the whole stream once: both clients get identical bytes, and the server's cost per
// frame is only the socket write.
const messages: string[] = [];
let frameBytes = 0;
for (let first = 1; first <= FRAMES; first += BATCH) {
  const parts: string[] = [];
  for (let seq = first; seq < first + BATCH && seq <= FRAMES; seq++) {
    const json = JSON.stringify(messageAddedFrame(seq, 0, HISTORY + seq - 1));
    frameBytes += json.length;
    parts.push(json);
  }
  messages.push(parts.length === 1 ? parts[0]! : `[${parts.join(',')}]`);
}
const wireBytes = messages.reduce((n, m) => n + m.length, 0);

const world = new SyntheticServer(CONVERSATIONS, HISTORY);
const waiting = new Set<WebSocket>();

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has('rxc.v1') ? 'rxc.v1' : false),
});
server.on('connection', (socket) => {
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as ClientFrame;
    if (frame.type === 'hello') {
      socket.send(world.welcome(0));
      waiting.add(socket);
      return;
    }
    const reply = world.reply(frame, 0);
    if (reply !== null) socket.send(reply);
  });
  socket.on('close', () => waiting.delete(socket));
});

function stream(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const pump = (): void => {
      while (next < messages.length && socket.bufferedAmount < HIGH_WATER) socket.send(messages[next++]!);
      if (next >= messages.length || socket.readyState !== socket.OPEN) resolve();
      else setImmediate(pump);
    };
    pump();
  });
}

server.on('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  tellParent({ type: 'listening', url: `ws://127.0.0.1:${port}/`, frameBytes: frameBytes / FRAMES, wireBytes, messages: messages.length, epoch: EPOCH });
});

onParentMessage(async (command) => {
  if (command.type === 'stream') {
    const sockets = [...waiting];
    waiting.clear();
    await Promise.all(sockets.map(stream));
    tellParent({ type: 'streamed', sockets: sockets.length });
  } else if (command.type === 'close') {
    server.close();
    process.exit(0);
  }
});
