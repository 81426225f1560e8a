// Restart (PERF-4 durability, SRV-4/CONN-5 resume): the server process is SIGKILLed in the middle of a
// pipelined burst of writes and restarted on the same SQLite file and port. No acknowledged write is
// lost or moved, indexes have no gaps, retried in-flight writes land exactly once (idempotency keys),
// and both users resume their logs with nothing missing and nothing twice, each event exactly once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventFrame, Message, ServerFrame } from '@rx-conversations/protocol';
import { expectStreamsIntact } from '../helpers/expectStreamsIntact.js';
import { tokenFor } from '../helpers/testKeys.js';
import { tempDatabase } from '../helpers/tempDatabase.js';
import { TestClient } from '../helpers/TestClient.js';
import { buildChildServer, spawnServer, type ServerProcess } from './restart/serverProcess.js';

const db = tempDatabase();
const running: ServerProcess[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  await buildChildServer();
}, 30_000);
afterAll(async () => {
  for (const client of clients) client.socket.terminate();
  for (const server of running) await server.kill();
  db.cleanup();
});

async function connect(server: ServerProcess, identity: string, lastSeq?: number): Promise<TestClient> {
  const client = await TestClient.connect(server.url, await tokenFor(identity), lastSeq === undefined ? {} : { lastSeq });
  client.socket.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function allMessages(client: TestClient, sid: string): Promise<Message[]> {
  const all: Message[] = [];
  let anchor: number | undefined;
  for (;;) {
    const page = await client.request('messages.list', { sid, pageSize: 100, direction: 'forwards', ...(anchor === undefined ? {} : { anchor }) });
    all.push(...page.items);
    if (!page.hasMore) return all;
    anchor = page.items[page.items.length - 1]!.index;
  }
}

const events = (frames: readonly ServerFrame[]): EventFrame[] => frames.filter((f): f is EventFrame => f.type === 'ev');


describe('SIGKILL during a burst of writes (PERF-4, CONN-5, SRV-5)', () => {
  it('PERF-4: no acknowledged write is lost; in-flight writes retried land once; logs resume without gap or duplicate', async () => {
    let server = await spawnServer(db.path);
    running.push(server);
    const writer = await connect(server, 'writer');
    const reader = await connect(server, 'reader');
    const { sid } = await writer.request('conversations.create', { friendlyName: 'burst' });
    await writer.request('participants.add', { sid, identity: 'reader' });

    // A pipelined burst: up to WINDOW sends in flight; SIGKILL from inside the handler of the
    // KILL_AT-th acknowledgement, so requests are in flight and commits are racing the kill.
    const TOTAL = 3000;
    const WINDOW = 64;
    const KILL_AT = 700;
    const keyOf = new Map<number, string>();
    const acked = new Map<string, number>();
    let sent = 0;
    let killed = false;
    const sendNext = (): void => {
      while (!killed && sent < TOTAL && sent - acked.size < WINDOW) {
        const id = writer.takeId();
        const key = `burst-key-${sent}`;
        keyOf.set(id, key);
        writer.send({ type: 'req', id, op: 'messages.send', args: { sid, body: `burst ${sent}`, idempotencyKey: key } });
        sent += 1;
      }
    };
    writer.socket.on('message', (data) => {
      if (killed) return;
      const value = JSON.parse(String(data)) as ServerFrame | ServerFrame[];
      for (const frame of Array.isArray(value) ? value : [value]) {
        if (frame.type !== 'res' || frame.id === null || !keyOf.has(frame.id)) continue;
        if (!frame.ok) throw new Error(`burst send refused: ${JSON.stringify(frame)}`);
        acked.set(keyOf.get(frame.id)!, (frame.result as Message).index);
        // Killed at the KILL_AT-th acknowledgement itself: replies batched after it in the same message
        // count as unacknowledged, as if the kill had come first (a fast server answers a window at once).
        if (acked.size >= KILL_AT) {
          killed = true;
          server.child.kill('SIGKILL');
          return;
        }
      }
      sendNext();
    });
    sendNext();
    expect(await server.exited).toBe('SIGKILL');
    await writer.closed;
    await reader.closed;
    const inFlight = sent - acked.size;
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AT);
    expect(inFlight).toBeGreaterThan(0);

    // Restart on the same file and port; both users resume from the last event they saw.
    const writerSeq = writer.lastSeq();
    const readerSeq = reader.lastSeq();
    server = await spawnServer(db.path, server.port);
    running.push(server);
    const writer2 = await connect(server, 'writer', writerSeq);
    const reader2 = await connect(server, 'reader', readerSeq);
    expect(writer2.welcome.resume).toBe('resumed');
    expect(reader2.welcome.resume).toBe('resumed');

    // 1. Every acknowledged write is there, at its acknowledged index; indexes have no gap.
    const stored = await allMessages(writer2, sid);
    expect(stored.map((m) => m.index)).toEqual(stored.map((_, i) => i));
    const byKey = new Map(stored.map((m) => [m.idempotencyKey, m]));
    const lost = [...acked].filter(([key, index]) => byKey.get(key)?.index !== index);
    expect(lost).toEqual([]);
    // Nothing appeared that was never sent.
    expect(stored.length).toBeLessThanOrEqual(sent);

    // 2. The in-flight writes, retried with their keys, land exactly once.
    const unacked = [...keyOf.values()].filter((key) => !acked.has(key));
    expect(unacked).toHaveLength(inFlight);
    for (const key of unacked) {
      const n = Number(key.slice('burst-key-'.length));
      const message = await writer2.request('messages.send', { sid, body: `burst ${n}`, idempotencyKey: key });
      const before = byKey.get(key);
      if (before !== undefined) expect(message.index).toBe(before.index);
    }
    const final = await allMessages(writer2, sid);
    expect(final).toHaveLength(sent);
    expect(new Set(final.map((m) => m.idempotencyKey)).size).toBe(sent);
    expect(final.map((m) => m.index)).toEqual(final.map((_, i) => i));

    // 3. Logs: before the kill + replay + live after it = exactly what a replay of the whole log shows
    //    each user, each message once, for both users.
    for (const [first, second, who] of [[writer, writer2, 'writer'], [reader, reader2, 'reader']] as const) {
      // The newest message may have reached the first connection already, before the kill.
      const isLast = (f: ServerFrame) => f.type === 'ev' && f.kind === 'messageAdded' && (f.data as { message: Message }).message.index === sent - 1;
      if (!first.frames.some(isLast)) await second.waitFor(isLast, 10_000);
      const all = [...events(first.frames), ...events(second.frames)];
      expectStreamsIntact(all, who);
      const everything = await connect(server, who, 0);
      await everything.waitFor((f) => f.type === 'ev' && f.seq === all[all.length - 1]!.seq, 10_000);
      expect(all.map((e) => e.seq)).toEqual(events(everything.frames).map((e) => e.seq));
      await everything.close();
      const indexes = all.filter((e) => e.kind === 'messageAdded').map((e) => (e.data as { message: Message }).message.index);
      expect(indexes).toEqual(final.map((m) => m.index));
    }
    process.stdout.write(`restart: ${sent} writes sent, ${acked.size} acknowledged before SIGKILL, ${inFlight} in flight, ${stored.length - acked.size} of those committed; all ${sent} present once after retry\n`);
    await server.stop();
  }, 60_000);
});
