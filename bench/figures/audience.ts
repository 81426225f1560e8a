// PERF-9 (CORE-2): a send's cost must not grow with the audience. The sender's acknowledgement (request
// written → reply parsed) for sends into a 1,000-member conversation against a 2-member one, interleaved
// in the same run on the same server; also a 5,000-member conversation, and the server's event-loop busy
// time per send. In each conversation the sender and one receiver are online; the other members are
// offline, as most members of a big group are.
import { readConfig, size } from '../lib/config.js';
import { spawnEntry } from '../lib/child.js';
import { connectRaw, type TestClient } from '../lib/connectRaw.js';
import { log, report, runFigure } from '../lib/report.js';
import { median, msSince, nowNs, quantile, round } from '../lib/stats.js';
import { mintToken } from '../lib/tokens.js';

const config = readConfig();
const BIG = size(config, 1_000, 1_000);
const HUGE = size(config, 5_000, 2_000);
const SENDS = size(config, 400, 60);
const WARMUP = size(config, 50, 10);
const JOIN_CONNECTIONS = 8;

interface Room {
  readonly label: string;
  readonly members: number;
  readonly sid: string;
  joinMs: number;
}

async function main(): Promise<void> {
  const server = spawnEntry(config, 'benchServer', { args: ['audience', 'unlimited'] });
  const clients: TestClient[] = [];
  try {
    const { url } = await server.next<{ type: 'listening'; url: string }>('listening', 60_000);
    const sender = await connectRaw(url, await mintToken('audience-sender'));
    const receiver = await connectRaw(url, await mintToken('audience-receiver'));
    clients.push(sender, receiver);
    const adders = await Promise.all(Array.from({ length: JOIN_CONNECTIONS }, async () => connectRaw(url, await mintToken('audience-sender'))));
    clients.push(...adders);

    const build = async (label: string, members: number): Promise<Room> => {
      const conversation = await sender.request('conversations.create', { friendlyName: label });
      await sender.request('participants.add', { sid: conversation.sid, identity: 'audience-receiver' });
      const start = nowNs();
      let next = 0;
      // Members added one by one, as an app would: each join is one write however big the room is.
      await Promise.all(
        adders.map(async (adder) => {
          while (next < members - 2) {
            const n = next++;
            await adder.request('participants.add', { sid: conversation.sid, identity: `${label}-member-${n}` });
          }
        }),
      );
      const joinMs = msSince(start);
      log(`${label}: ${members} members, ${members - 2} joins in ${(joinMs / 1000).toFixed(1)} s (${((joinMs / Math.max(1, members - 2)) * JOIN_CONNECTIONS).toFixed(2)} ms per join per connection)`);
      return { label, members, sid: conversation.sid, joinMs };
    };
    const rooms = [await build('small', 2), await build('big', BIG), await build('huge', HUGE)];

    const acks = new Map<string, number[]>(rooms.map((r) => [r.label, []]));
    const busy = new Map<string, number>(rooms.map((r) => [r.label, 0]));
    let i = 0;
    const sendInto = async (room: Room, measure: boolean): Promise<void> => {
      const t0 = nowNs();
      await sender.request('messages.send', { sid: room.sid, body: `to ${room.label} ${i}`, idempotencyKey: `audience-${process.pid}-${i++}` });
      if (measure) acks.get(room.label)!.push(msSince(t0));
    };
    for (let w = 0; w < WARMUP; w++) for (const room of rooms) await sendInto(room, false);
    // Interleaved: every round sends once into each room, so machine noise falls on all alike.
    for (let s = 0; s < SENDS; s++) for (const room of rooms) await sendInto(room, true);
    // Event-loop busy time: a run of sends into one room at a time, read from the server's utilisation.
    for (const room of rooms) {
      server.send({ type: 'busy' });
      await server.next('busy', 10_000);
      for (let s = 0; s < SENDS; s++) await sendInto(room, false);
      server.send({ type: 'busy' });
      const { activeMs } = await server.next<{ type: 'busy'; activeMs: number }>('busy', 10_000);
      busy.set(room.label, activeMs / SENDS);
    }

    const p50 = (label: string) => median(acks.get(label)!);
    const p99 = (label: string) => quantile(acks.get(label)!, 0.99);
    const ratio = p50('big') / p50('small');
    const detail = rooms
      .map((r) => `${r.label} (${r.members} members): ack p50 ${p50(r.label).toFixed(3)} ms, p99 ${p99(r.label).toFixed(3)} ms, event loop busy ${busy.get(r.label)!.toFixed(3)} ms/send`)
      .join('; ');
    report({
      figure: 'PERF-9',
      value: round(p50('big'), 3),
      unit: 'ms ack',
      baseline: round(p50('small'), 3),
      ratio: round(ratio, 2),
      target: `≤ 3× (${BIG.toLocaleString('en-US')} vs 2 members)`,
      pass: ratio <= 3,
      notes:
        `${SENDS} sends into each conversation, interleaved, after ${WARMUP} warm-up rounds; one sender, one online receiver, the other members offline; ` +
        `real server in its own process (SQLite file, default durability); ${detail}`,
    });
    report({
      figure: 'PERF-9 huge',
      value: round(p50('huge'), 3),
      unit: 'ms ack',
      baseline: round(p50('small'), 3),
      ratio: round(p50('huge') / p50('small'), 2),
      target: `(diagnostic) ${HUGE.toLocaleString('en-US')} vs 2 members`,
      pass: null,
      notes:
        `same run as PERF-9; building it took ${(rooms[2]!.joinMs / 1000).toFixed(1)} s for ${HUGE - 2} joins over ${JOIN_CONNECTIONS} connections; ` +
        `event loop busy per send: ${rooms.map((r) => `${r.label} ${busy.get(r.label)!.toFixed(3)} ms`).join(', ')}`,
    });
  } finally {
    for (const client of clients) client.terminate();
    server.kill();
  }
}

runFigure(main);
