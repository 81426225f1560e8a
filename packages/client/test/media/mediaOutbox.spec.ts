import { describe, expect, it } from '@jest/globals';
import { useFakeSessions } from '../fakeSessions.js';
import { conv } from '../fixtures.js';
import { createMediaSupport } from '../../src/media.js';
import { storagePersistence } from '../../src/persistence/storagePersistence.js';
import type { CacheSnapshot } from '../../src/persistence/cacheSnapshot.js';
import type { PersistenceStorage } from '../../src/persistence/PersistenceStorage.js';

describe('media and the persistent outbox (MEDIA-1, OFFLINE-2)', () => {
  const { setup } = useFakeSessions();

  it('MEDIA-1: a send with files stays out of the persistent outbox (a restart would send it without them); a text send is kept', async () => {
    const writes: CacheSnapshot[] = [];
    const storage: PersistenceStorage = {
      read: async () => null,
      write: async (_key, value) => void writes.push(JSON.parse(value) as CacheSnapshot),
      remove: async () => undefined,
    };
    // Uploads that never finish: the send with files stays 'sending' for the whole test.
    const transport = { upload: () => new Promise<never>(() => undefined), get: () => new Promise<never>(() => undefined) };
    const { core, client, clock } = setup(
      (op) => (op === 'conversations.list' ? { items: [conv('c1')], nextCursor: null, asOfSeq: 0 } : op === 'messages.send' ? new Promise(() => undefined) : null),
      { url: 'ws://chat.test', persistence: storagePersistence(storage, { writeDelayMs: 60_000 }), media: createMediaSupport({ transport }) },
    );
    await clock.tick(0);
    core.welcome('fresh');
    await client.whenSynchronized();
    const chat = client.conversation('c1');
    void chat.sendMessage({ body: 'the photo', media: [{ contentType: 'image/png', data: new Uint8Array([1, 2, 3]) }] }).catch(() => undefined);
    void chat.sendMessage('plain text').catch(() => undefined);
    await clock.tick(0);
    expect(writes.at(-1)!.outbox.map((o) => o.body)).toEqual(['plain text']);
  });
});
