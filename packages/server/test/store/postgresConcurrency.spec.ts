// Several nodes on one PostgreSQL database, seen from the store (SCALE-2): each node is a PostgresStore
// with a pool of its own. What a node relies on to catch up on the others' writes is that the log's
// positions become visible in order: a poller on `eventsAfter(lastSeen)` never skips one. Cutting a
// node's link to the database mid-run is covered end to end in scale/cluster.spec.ts.
import { afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { wait, type LoggedEvent, type Step, type StoreTx } from '@rx-conversations/server-core';
import { openPostgresStore, type PostgresStore } from '../../src/internal/PostgresStore.js';
import { createTestDatabase } from '../helpers/pgDatabase.js';
import { until } from '../helpers/until.js';
import { within } from '../helpers/within.js';
import { KEEP_ALL, read, write } from './storeAdapters.js';
import { labelOf, newEvent } from './storeRows.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `count` nodes (PostgresStores, one pool each) on a fresh database, and a plain client on it. */
async function nodesOnOneDatabase(count: number): Promise<{ nodes: PostgresStore[]; sql: pg.Client }> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const nodes: PostgresStore[] = [];
  for (let i = 0; i < count; i += 1) {
    const node = await openPostgresStore(database.url, { retention: KEEP_ALL });
    cleanups.push(() => node.close());
    nodes.push(node);
  }
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  cleanups.push(() => sql.end());
  return { nodes, sql };
}

/** A promise and its resolve, to hold a transaction open until the test lets it go. */
function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** True while some transaction waits for an advisory lock (the write lock) in this database. */
async function someoneWaitsForTheWriteLock(sql: pg.Client): Promise<boolean> {
  const { rows } = await sql.query<{ waiting: number }>(
    "SELECT COUNT(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
  );
  return rows[0]!.waiting > 0;
}

/** Follows a promise: `settled` turns true once it has resolved or rejected. */
function track(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe('positions across nodes (SCALE-2)', () => {
  it('SCALE-2: two nodes writing 200 times each across five conversations: a concurrent poller sees every position exactly once, in order, and each stream unbroken', async () => {
    const { nodes } = await nodesOnOneDatabase(2);
    const LANES = 4;
    const WRITES_PER_LANE = 50;
    const committed: LoggedEvent[] = [];
    let refusals = 0;

    // Each node writes from several lanes at once, as a node serving many connections does. Some
    // writes log two events; every tenth is refused after appending, and must leave no trace.
    async function lane(node: PostgresStore, n: number, l: number): Promise<void> {
      const name = `node${n}-lane${l}`;
      for (let i = 0; i < WRITES_PER_LANE; i += 1) {
        const label = `${name} #${i}`;
        const sid = `CH${(l + i) % 5}`;
        const events = await write(node, function* (tx) {
          const out = [yield* tx.appendEvent(newEvent({ conversation: sid }, label))];
          if (i % 7 === 0) out.push(yield* tx.appendEvent(newEvent({ user: name }, `${label} (own)`)));
          return out;
        });
        committed.push(...events);
        if (i % 10 === 9) {
          refusals += 1;
          await expect(
            write(node, function* (tx) {
              yield* tx.appendEvent(newEvent({ conversation: sid }, `${label} refused`));
              throw new Error('refused');
            }),
          ).rejects.toThrow('refused');
        }
      }
    }

    const seen: LoggedEvent[] = [];
    let pagesWhileWriting = 0;
    let writing = true;
    async function poll(node: PostgresStore): Promise<void> {
      let lastSeen = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await read(node, (tx) => tx.eventsAfter(lastSeen, 25));
        if (page === null) throw new Error(`eventsAfter(${lastSeen}) answered null with nothing pruned`);
        seen.push(...page);
        if (page.length > 0) {
          lastSeen = page[page.length - 1]!.seq;
          if (stillWriting) pagesWhileWriting += 1;
        } else if (!stillWriting) {
          return; // the writers were done before this read began, and it found nothing more
        }
      }
    }

    const writers = Promise.all(
      nodes.flatMap((node, n) => Array.from({ length: LANES }, (_, l) => lane(node, n, l))),
    ).finally(() => {
      writing = false;
    });
    const poller = poll(nodes[0]!);
    await within(Promise.all([writers, poller]), 15_000, 'the writers and the poller to finish');

    const total = 2 * LANES * WRITES_PER_LANE + 2 * LANES * Math.ceil(WRITES_PER_LANE / 7);
    expect(committed).toHaveLength(total);
    expect(refusals).toBe(2 * LANES * (WRITES_PER_LANE / 10));
    // Every position once, in order, none skipped: exactly 1..total as the writers were told them.
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(seen).toEqual([...committed].sort((a, b) => a.seq - b.seq));
    expect(seen.filter((e) => labelOf(e).endsWith('refused'))).toEqual([]);
    // Each stream's prev chain is unbroken, so no client following it sees a false gap.
    const heads = new Map<string, number>();
    for (const event of seen) {
      const stream = event.conversationSid ?? `user ${event.identity!}`;
      expect([stream, event.prev]).toEqual([stream, heads.get(stream) ?? 0]);
      heads.set(stream, event.seq);
    }
    // The run was concurrent: the nodes' writes interleave, and the poller read while they wrote.
    const switches = seen.filter((e, i) => i > 0 && labelOf(e).slice(0, 5) !== labelOf(seen[i - 1]!).slice(0, 5)).length;
    expect(switches).toBeGreaterThan(20);
    expect(pagesWhileWriting).toBeGreaterThan(1);
  });

  it('SCALE-2: a write held open on one node holds back the other node\'s write, so a poller never sees the later position without the earlier one', async () => {
    const { nodes, sql } = await nodesOnOneDatabase(3);
    const [slowNode, fastNode, pollingNode] = nodes as [PostgresStore, PostgresStore, PostgresStore];
    const appended = deferred<number>();
    const letGo = deferred();
    cleanups.push(async () => letGo.resolve()); // a failed expectation must not leave the write lock held

    const slow = write(slowNode, function* (tx) {
      const event = yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'slow'));
      appended.resolve(event.seq);
      yield* wait(letGo.promise); // a slow transaction: the write lock is held meanwhile
      return event;
    });
    expect(await within(appended.promise, 5_000, 'the slow write to append')).toBe(1);

    const fast = write(fastNode, (tx) => tx.appendEvent(newEvent({ conversation: 'CH2' }, 'fast')));
    const fastState = track(fast);
    await until(() => someoneWaitsForTheWriteLock(sql), 5_000, 'the fast write to wait for the write lock');
    expect(fastState.settled).toBe(false);
    expect(await read(pollingNode, (tx) => tx.eventsAfter(0, 100))).toEqual([]);
    expect(await read(pollingNode, (tx) => tx.headSeq())).toBe(0);

    letGo.resolve();
    const [slowEvent, fastEvent] = await within(Promise.all([slow, fast]), 5_000, 'both writes to commit');
    expect([slowEvent.seq, fastEvent.seq]).toEqual([1, 2]);
    expect((await read(pollingNode, (tx) => tx.eventsAfter(0, 100)))!.map(labelOf)).toEqual(['slow', 'fast']);
  });

  it('SCALE-2: a read sees one snapshot: another node\'s commit during it shows neither in its log nor in its head', async () => {
    const { nodes } = await nodesOnOneDatabase(2);
    const [reader, writer] = nodes as [PostgresStore, PostgresStore];
    await write(writer, (tx) => tx.appendEvent(newEvent({ conversation: 'CH1' }, 'before')));
    const started = deferred();
    const letGo = deferred();
    cleanups.push(async () => letGo.resolve());

    const reading = read(reader, function* (tx): Step<[number, string[], number]> {
      const head = yield* tx.headSeq();
      started.resolve();
      yield* wait(letGo.promise);
      const log = (yield* tx.eventsAfter(0, 100))!.map(labelOf);
      return [head, log, yield* tx.headSeq()];
    });
    await within(started.promise, 5_000, 'the read to start');
    // Reads take no lock: the write commits while the read is open.
    expect(await within(write(writer, (tx) => tx.appendEvent(newEvent({ conversation: 'CH1' }, 'during'))), 5_000, 'a write during the read')).toMatchObject({ seq: 2 });
    letGo.resolve();

    expect(await reading).toEqual([1, ['before'], 1]);
    expect((await read(reader, (tx) => tx.eventsAfter(0, 100)))!.map(labelOf)).toEqual(['before', 'during']);
  });

  it('SRV-5, SCALE-2: the same idempotency key sent through two nodes at once is stored once, and every send gets the first result', async () => {
    const { nodes } = await nodesOnOneDatabase(2);
    // What the core does for a keyed op: look the key up, and only if it is new, act and record it.
    function* send(tx: StoreTx, node: number): Step<string> {
      const prior = yield* tx.getIdempotency('alice', 'k1');
      if (prior !== undefined) return prior.result;
      const event = yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, `sent through node ${node}`));
      const result = JSON.stringify({ seq: event.seq, node });
      yield* tx.insertIdempotency('alice', 'k1', 'messages.send', 'hash', result, 1_000);
      return result;
    }

    const results = await within(
      Promise.all(Array.from({ length: 10 }, (_, i) => write(nodes[i % 2]!, (tx) => send(tx, i % 2)))),
      10_000,
      'ten concurrent sends',
    );

    const log = (await read(nodes[0]!, (tx) => tx.eventsAfter(0, 100)))!;
    expect(log).toHaveLength(1);
    expect(new Set(results)).toEqual(new Set([JSON.stringify({ seq: 1, node: labelOf(log[0]!).endsWith('0') ? 0 : 1 })]));
  });
});
