// A node SIGKILLed under traffic (SCALE-3): three node processes on one PostgreSQL database linked by
// Redis; a writer pipelines sends through the node that dies. Its clients resume on the other nodes: no
// acknowledged write is lost, retried in-flight writes land once, and every member (on a surviving node
// or displaced) sees each message exactly once, in order.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventFrame, Message, ServerFrame } from '@rx-conversations/protocol';
import { expectStreamsIntact } from '../helpers/expectStreamsIntact.js';
import { createTestDatabase } from '../helpers/pgDatabase.js';
import { TestClient } from '../helpers/TestClient.js';
import { tokenFor } from '../helpers/testKeys.js';
import { buildChildServer, spawnServer, type ServerProcess } from '../reliability/restart/serverProcess.js';

const BROKER = 'redis://127.0.0.1:6379';
const running: ServerProcess[] = [];
const clients: TestClient[] = [];
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  await buildChildServer();
  database = await createTestDatabase();
}, 30_000);
afterAll(async () => {
  for (const client of clients) client.socket.terminate();
  for (const server of running) await server.kill();
  await database.drop();
});

async function connect(server: ServerProcess, identity: string, lastSeq?: number): Promise<TestClient> {
  const client = await TestClient.connect(server.url, await tokenFor(identity), lastSeq === undefined ? {} : { lastSeq });
  client.socket.on('error', () => undefined);
  clients.push(client);
  return client;
}

const messageEvents = (frames: readonly ServerFrame[]): Array<EventFrame<'messageAdded'>> =>
  frames.filter((f): f is EventFrame<'messageAdded'> => f.type === 'ev' && f.kind === 'messageAdded');

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

describe('a node killed under traffic (SCALE-3)', () => {
  it('SCALE-3: its clients resume on other nodes; no acknowledged write is lost, retried writes land once, nobody sees a message twice', async () => {
    const nodes = await Promise.all([0, 1, 2].map(() => spawnServer(database.url, 0, 20_000, BROKER)));
    running.push(...nodes);
    const [a, b, doomed] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const writer = await connect(doomed, 'writer');
    const displaced = await connect(doomed, 'displaced');
    const onA = await connect(a, 'on-a');
    const onB = await connect(b, 'on-b');
    const { sid } = await writer.request('conversations.create', { friendlyName: 'kill' });
    for (const identity of ['displaced', 'on-a', 'on-b']) await writer.request('participants.add', { sid, identity });
    for (const member of [displaced, onA, onB]) await member.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === sid, 5000);

    const TOTAL = 400;
    const WINDOW = 32;
    const KILL_AT = 150;
    const keyOf = new Map<number, string>();
    const acked = new Map<string, number>();
    let sent = 0;
    let killed = false;
    const sendNext = (): void => {
      while (!killed && sent < TOTAL && sent - acked.size < WINDOW) {
        const id = writer.takeId();
        const key = `kill-key-${sent}`;
        keyOf.set(id, key);
        writer.send({ type: 'req', id, op: 'messages.send', args: { sid, body: `m ${sent}`, idempotencyKey: key } });
        sent += 1;
      }
    };
    writer.socket.on('message', (data) => {
      if (killed) return;
      const value = JSON.parse(String(data)) as ServerFrame | ServerFrame[];
      for (const frame of Array.isArray(value) ? value : [value]) {
        if (frame.type !== 'res' || frame.id === null || !keyOf.has(frame.id)) continue;
        if (!frame.ok) throw new Error(`send refused: ${JSON.stringify(frame)}`);
        acked.set(keyOf.get(frame.id)!, (frame.result as Message).index);
        if (acked.size >= KILL_AT) {
          killed = true;
          doomed.child.kill('SIGKILL');
          return;
        }
      }
      sendNext();
    });
    sendNext();
    expect(await doomed.exited).toBe('SIGKILL');
    await writer.closed;
    await displaced.closed;

    // The displaced clients resume on the surviving nodes, and the writer retries what was in flight.
    const writer2 = await connect(a, 'writer', writer.lastSeq());
    const displaced2 = await connect(b, 'displaced', displaced.lastSeq());
    expect(writer2.welcome.resume).toBe('resumed');
    expect(displaced2.welcome.resume).toBe('resumed');
    const unacked = [...keyOf.values()].filter((key) => !acked.has(key));
    expect(unacked.length).toBeGreaterThan(0);
    for (const key of unacked) await writer2.request('messages.send', { sid, body: `m ${key.slice('kill-key-'.length)}`, idempotencyKey: key });

    const stored = await allMessages(writer2, sid);
    expect(stored).toHaveLength(sent);
    expect(new Set(stored.map((m) => m.idempotencyKey)).size).toBe(sent);
    expect(stored.map((m) => m.index)).toEqual(stored.map((_, i) => i));
    const byKey = new Map(stored.map((m) => [m.idempotencyKey, m.index]));
    expect([...acked].filter(([key, index]) => byKey.get(key) !== index)).toEqual([]);

    // Every member sees every message once, in order: those on surviving nodes live, the displaced one
    // across its two connections.
    const lastIndex = sent - 1;
    const sawLast = (frames: readonly ServerFrame[]) => messageEvents(frames).some((e) => e.data.message.index === lastIndex);
    for (const [who, frames, live] of [
      ['on-a', () => onA.frames, onA],
      ['on-b', () => onB.frames, onB],
      ['displaced', () => [...displaced.frames, ...displaced2.frames], displaced2],
    ] as const) {
      if (!sawLast(frames())) await live.waitFor(() => sawLast(frames()), 15_000);
      const events = frames().filter((f): f is EventFrame => f.type === 'ev');
      expectStreamsIntact(events, who);
      expect(messageEvents(frames()).map((e) => e.data.message.index)).toEqual(stored.map((m) => m.index));
    }
  }, 60_000);
});
