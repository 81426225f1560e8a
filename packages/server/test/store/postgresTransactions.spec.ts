// How a PostgreSQL write ends (CORE-1): what the caller is told must be what the database did, and the
// pooled connection must come back clean whichever way the transaction ended.
import { afterEach, describe, expect, it } from '@jest/globals';
import { openPostgresStore, type PostgresStore } from '../../src/internal/PostgresStore.js';
import { createTestDatabase } from '../helpers/pgDatabase.js';
import { KEEP_ALL, read, write } from './storeAdapters.js';
import { conversationRow, labelOf, newEvent } from './storeRows.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A store on a fresh database with one pooled connection, so every transaction reuses it. */
async function oneConnectionStore(): Promise<PostgresStore> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const store = await openPostgresStore(database.url, { retention: KEEP_ALL, poolSize: 1 });
  cleanups.push(() => store.close());
  return store;
}

describe('ending a PostgreSQL transaction (CORE-1)', () => {
  it('CORE-1: after a write that threw and one whose statement failed, the same connection commits the next write in full', async () => {
    const store = await oneConnectionStore();
    await write(store, (tx) => tx.insertConversation(conversationRow('CH1')));

    await expect(
      write(store, function* (tx) {
        yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'thrown'));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await expect(
      write(store, function* (tx) {
        yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'duplicate'));
        yield* tx.insertConversation(conversationRow('CH1'));
      }),
    ).rejects.toThrow(/duplicate key/);

    const next = await write(store, function* (tx) {
      yield* tx.insertConversation(conversationRow('CH2'));
      return yield* tx.appendEvent(newEvent({ conversation: 'CH2' }, 'kept'));
    });
    expect(next.seq).toBe(1);
    expect((await read(store, (tx) => tx.eventsAfter(0, 10)))!.map(labelOf)).toEqual(['kept']);
    expect(await read(store, (tx) => tx.getConversation('CH2'))).toEqual(conversationRow('CH2'));
  });

  it('CORE-1: a write whose body swallows a failed statement is reported failed, not committed, since PostgreSQL rolled it back', async () => {
    const store = await oneConnectionStore();
    await write(store, (tx) => tx.insertConversation(conversationRow('CH1')));

    const swallowing = write(store, function* (tx) {
      const event = yield* tx.appendEvent(newEvent({ conversation: 'CH1' }, 'lost'));
      try {
        yield* tx.insertConversation(conversationRow('CH1'));
      } catch {
        // A body may catch a store error; the transaction is aborted all the same.
      }
      return event;
    });

    // Told "committed at position 1", a node would publish an event that no reader can ever find.
    await expect(swallowing).rejects.toThrow('the transaction was rolled back by an earlier error');
    expect(await read(store, (tx) => tx.eventsAfter(0, 10))).toEqual([]);
    expect(await read(store, (tx) => tx.headSeq())).toBe(0);
  });
});
