// Several nodes on one PostgreSQL database, linked by Redis (SCALE-1, SCALE-2, SCALE-3, SCALE-4): real
// servers on port 0, the real services, a database created and dropped by each test, and a TCP relay in
// front of Redis so a test can cut the broker link without touching the shared service.
import { describe, expect, it } from '@jest/globals';
import type { EventFrame, Message, User } from '@rx-conversations/protocol';
import { MemoryPushSender, type RunningServer, type StartServerOptions } from '../../src/index.js';
import { key } from '../helpers/connectUser.js';
import { expectStreamsIntact } from '../helpers/expectStreamsIntact.js';
import { createTestDatabase } from '../helpers/pgDatabase.js';
import { tcpRelay, type TcpRelay } from '../helpers/tcpRelay.js';
import { tryUpgrade, type TestClient } from '../helpers/TestClient.js';
import { tokenFor } from '../helpers/testKeys.js';
import { useServers } from '../helpers/useServers.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '@rx-conversations/protocol';

const { cleanups, start, connect } = useServers();

interface Cluster {
  readonly nodes: RunningServer[];
  readonly broker: TcpRelay;
  readonly databaseUrl: string;
}

/** `count` nodes on a fresh database, each linked to Redis through one relay the test can cut. */
async function cluster(count: number, options: Partial<StartServerOptions> | ((i: number) => Partial<StartServerOptions>) = {}): Promise<Cluster> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const broker = await tcpRelay(6379);
  cleanups.push(() => broker.close());
  const nodes: RunningServer[] = [];
  for (let i = 0; i < count; i += 1) {
    const own = typeof options === 'function' ? options(i) : options;
    nodes.push(await start({ database: database.url, broker: `redis://127.0.0.1:${broker.port}`, pollIntervalMs: 200, ...own }));
  }
  return { nodes, broker, databaseUrl: database.url };
}

const messagesIn = (client: TestClient, sid: string): Array<EventFrame<'messageAdded'>> =>
  client.events().filter((e): e is EventFrame<'messageAdded'> => e.kind === 'messageAdded' && e.stream === sid);

async function receivedAll(client: TestClient, sid: string, count: number, timeoutMs = 8000): Promise<void> {
  if (messagesIn(client, sid).length >= count) return;
  await client.waitFor(() => messagesIn(client, sid).length >= count, timeoutMs);
}

async function conversationOf(owner: TestClient, members: readonly string[]): Promise<string> {
  const { sid } = await owner.request('conversations.create', { friendlyName: 'across nodes' });
  for (const identity of members) await owner.request('participants.add', { sid, identity });
  return sid;
}

describe('several nodes on PostgreSQL + Redis (SCALE-2)', () => {
  it('SCALE-2: clients on three nodes each receive every message exactly once, in order, whichever node wrote it', async () => {
    const { nodes } = await cluster(3);
    const identities = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
    // 90 sends at once queue for the cluster-wide write lock: on a loaded machine the last reply may take
    // seconds, which is not what this test is about.
    const clients = await Promise.all(identities.map((identity, i) => connect(nodes[i % 3]!, identity, { requestTimeoutMs: 15_000 })));
    const sid = await conversationOf(clients[0]!, identities.slice(1));
    for (const client of clients.slice(1)) await client.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === sid, 5000);

    // Every client sends at once through its own node: commits from three nodes race for positions.
    const PER_CLIENT = 15;
    await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: PER_CLIENT }, (_, i) => client.request('messages.send', { sid, body: `${identities[c]}-${i}`, idempotencyKey: key() })),
      ),
    );
    const total = PER_CLIENT * clients.length;
    for (const [i, client] of clients.entries()) {
      await receivedAll(client, sid, total);
      expectStreamsIntact(client.events(), identities[i]);
      const indexes = messagesIn(client, sid).map((e) => e.data.message.index);
      expect(indexes).toEqual(Array.from({ length: total }, (_, n) => n));
    }
  });

  it('SCALE-2: a client that reconnects to another node resumes from its position, with nothing missed and nothing twice', async () => {
    const { nodes } = await cluster(3);
    const alice = await connect(nodes[0]!, 'alice');
    const bob = await connect(nodes[1]!, 'bob');
    const carol = await connect(nodes[2]!, 'carol');
    const sid = await conversationOf(bob, ['alice', 'carol']);
    for (let i = 0; i < 5; i += 1) await bob.request('messages.send', { sid, body: `before ${i}`, idempotencyKey: key() });
    await receivedAll(alice, sid, 5);
    const before = alice.events();
    await alice.close();

    for (let i = 0; i < 5; i += 1) await bob.request('messages.send', { sid, body: `away, via B ${i}`, idempotencyKey: key() });
    for (let i = 0; i < 5; i += 1) await carol.request('messages.send', { sid, body: `away, via C ${i}`, idempotencyKey: key() });
    const back = await connect(nodes[2]!, 'alice', { lastSeq: before[before.length - 1]!.seq });
    expect(back.welcome.resume).toBe('resumed');
    await bob.request('messages.send', { sid, body: 'live again', idempotencyKey: key() });
    await receivedAll(back, sid, 11);

    const all = [...before, ...back.events()];
    expectStreamsIntact(all, 'alice');
    expect(all.filter((e) => e.kind === 'messageAdded').map((e) => (e as EventFrame<'messageAdded'>).data.message.index)).toEqual(Array.from({ length: 16 }, (_, n) => n));
  });

  it('SCALE-2: the same send retried through another node makes one message', async () => {
    const { nodes } = await cluster(2);
    const viaA = await connect(nodes[0]!, 'alice');
    const viaB = await connect(nodes[1]!, 'alice');
    const sid = await conversationOf(viaA, []);
    const idempotencyKey = key();
    const first = await viaA.request('messages.send', { sid, body: 'once', idempotencyKey });
    const retried = await viaB.request('messages.send', { sid, body: 'once', idempotencyKey });
    expect(retried.sid).toBe(first.sid);
    const page = await viaB.request('messages.list', { sid, pageSize: 10 });
    expect(page.items.map((m: Message) => m.body)).toEqual(['once']);
  });
});

describe('the broker is only a shortcut (SCALE-3)', () => {
  it('SCALE-3: with the broker link cut, nothing is lost: nodes catch up from PostgreSQL, and live delivery resumes when it returns', async () => {
    const { nodes, broker } = await cluster(2);
    const alice = await connect(nodes[0]!, 'alice');
    const bob = await connect(nodes[1]!, 'bob');
    const sid = await conversationOf(bob, ['alice']);
    await bob.request('messages.send', { sid, body: 'linked', idempotencyKey: key() });
    await receivedAll(alice, sid, 1);

    broker.cut();
    for (let i = 0; i < 10; i += 1) await bob.request('messages.send', { sid, body: `cut ${i}`, idempotencyKey: key() });
    await receivedAll(alice, sid, 11);
    broker.restore();
    for (let i = 0; i < 10; i += 1) await bob.request('messages.send', { sid, body: `restored ${i}`, idempotencyKey: key() });
    await receivedAll(alice, sid, 21);

    expectStreamsIntact(alice.events(), 'alice');
    expect(messagesIn(alice, sid).map((e) => e.data.message.body)).toEqual([
      'linked',
      ...Array.from({ length: 10 }, (_, i) => `cut ${i}`),
      ...Array.from({ length: 10 }, (_, i) => `restored ${i}`),
    ]);
  });
});

describe('a lost database link (SCALE-3)', () => {
  it('SCALE-3: with the database unreachable, writes fail cleanly and change nothing; the node serves again when it returns', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const link = await tcpRelay(5432);
    cleanups.push(() => link.close());
    const url = new URL(database.url);
    url.port = String(link.port);
    const node = await start({ database: url.toString(), pollIntervalMs: 200 });
    const alice = await connect(node, 'alice');
    const bob = await connect(node, 'bob');
    const sid = await conversationOf(alice, ['bob']);
    await alice.request('messages.send', { sid, body: 'before', idempotencyKey: key() });

    link.cut();
    const refused = await alice.requestError('messages.send', { sid, body: 'while cut', idempotencyKey: key() });
    expect(refused.code).toBe('internal_error');
    link.restore();
    const retried = key();
    const after = await alice.request('messages.send', { sid, body: 'after', idempotencyKey: retried });
    expect(after.index).toBe(1);

    await receivedAll(bob, sid, 2);
    expect(messagesIn(bob, sid).map((e) => e.data.message.body)).toEqual(['before', 'after']);
    expectStreamsIntact(bob.events(), 'bob');
  });
});

describe('presence, limits and push across nodes (SCALE-4)', () => {
  it('SCALE-4: a user online on any node is online everywhere, and goes offline when their last connection anywhere closes', async () => {
    const { nodes } = await cluster(2);
    const watcher = await connect(nodes[0]!, 'watcher');
    const bob = await connect(nodes[1]!, 'bob');
    const { items } = await watcher.request('users.subscribe', { identities: ['bob'] });
    expect(items.map((u: User) => [u.identity, u.isOnline])).toEqual([['bob', true]]);

    await bob.close();
    const offline = await watcher.waitFor((f) => f.type === 'sig' && f.kind === 'userUpdated' && (f.data as { user: User }).user.identity === 'bob' && !(f.data as { user: User }).user.isOnline, 5000);
    expect(offline).toBeDefined();
    expect((await watcher.request('users.get', { identity: 'bob' })).isOnline).toBe(false);
  });

  it('SCALE-4: typing on one node reaches the other participants on every node, and is never stored', async () => {
    const { nodes } = await cluster(2);
    const alice = await connect(nodes[0]!, 'alice');
    const bob = await connect(nodes[1]!, 'bob');
    const sid = await conversationOf(alice, ['bob']);
    await bob.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === sid, 5000);
    const head = bob.lastSeq();
    await alice.request('conversations.typing', { sid });
    const typing = await bob.waitFor((f) => f.type === 'sig' && f.kind === 'typing', 5000);
    expect(typing).toMatchObject({ data: { conversationSid: sid, identity: 'alice' } });
    expect(alice.frames.some((f) => f.type === 'sig' && f.kind === 'typing')).toBe(false);
    // Nothing was written: a resume from before sees no event.
    const again = await connect(nodes[0]!, 'bob', { lastSeq: head });
    await again.barrier();
    expect(again.events()).toEqual([]);
  });

  it('SCALE-4: push goes only to participants connected to no node', async () => {
    const pushes = [new MemoryPushSender(), new MemoryPushSender()];
    const { nodes } = await cluster(2, (i) => ({ pushSender: pushes[i]! }));
    const alice = await connect(nodes[0]!, 'alice');
    const bob = await connect(nodes[1]!, 'bob');
    const carol = await connect(nodes[1]!, 'carol');
    for (const client of [bob, carol]) await client.request('push.register', { type: 'fcm', token: `device-of-${client.welcome.identity}` });
    const sid = await conversationOf(alice, ['bob', 'carol']);
    await carol.close();

    await alice.request('messages.send', { sid, body: 'hello', idempotencyKey: key() });
    // Targets are expanded in one pass: once carol's push is out, bob's was decided too.
    await pushes[0]!.waitFor((d) => d.identity === 'carol', 5000);
    expect([...pushes[0]!.deliveries, ...pushes[1]!.deliveries].map((d) => d.identity)).toEqual(['carol']);
  });

  it('SCALE-4: the per-identity connection limit counts connections on every node', async () => {
    const { nodes } = await cluster(2, { maxConnectionsPerIdentity: 2 });
    await connect(nodes[0]!, 'alice');
    await connect(nodes[1]!, 'alice');
    const outcome = await tryUpgrade(nodes[1]!.url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + (await tokenFor('alice'))]);
    expect(outcome).toMatchObject({ opened: false, status: 503, error: 'too_many_connections' });
    const elsewhere = await tryUpgrade(nodes[0]!.url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + (await tokenFor('alice'))]);
    expect(elsewhere).toMatchObject({ opened: false, status: 503 });
  });
});

describe('start-up fails fast with a clear message (SCALE-1)', () => {
  it('SCALE-1: an unreachable database, an unreachable broker, a bad broker URL and a broker without PostgreSQL are refused at start', async () => {
    await expect(start({ database: 'postgres://postgres@127.0.0.1:1/nowhere' })).rejects.toThrow(/127\.0\.0\.1:1/);
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    await expect(start({ database: database.url, broker: 'redis://127.0.0.1:1' })).rejects.toThrow(/Cannot reach the broker at 127\.0\.0\.1:1/);
    await expect(start({ database: database.url, broker: 'http://127.0.0.1:6379' })).rejects.toThrow(/redis:\/\//);
    await expect(start({ database: ':memory:', broker: 'redis://127.0.0.1:6379' })).rejects.toThrow(/postgres:\/\//);
  });
});
