// ROBUST-1 against the real server: a connection limited to 200 requests per second with a burst of 20
// sends 800 messages — 400 awaited one after another, then 400 fired at once. The client paces its
// requests by the rate the welcome announces and re-sends what the server still refuses, so every
// message ends `sent`, in the order it was sent.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, createMemoryStorage, type SentMessage } from '../../src/index.js';

const KEY_ID = 'SKrate';
const SECRET = 'rate-limit-test-secret-that-is-long-enough';
const RATE = { ratePerSecond: 200, burst: 20 };

let server: RunningServer;
let client: ConversationsClient;

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET }, rateLimit: RATE });
  const token = await createAccessToken({ identity: 'alice', keyId: KEY_ID, secret: SECRET });
  client = new ConversationsClient(token, { url: server.url, WebSocket, storage: createMemoryStorage(), platform: null, fetch: null });
  await client.whenSynchronized();
});

afterAll(async () => {
  await client.shutdown();
  await server.close();
});

describe('rate limits against the real server (ROBUST-1)', () => {
  it('ROBUST-1: 800 sends, 400 awaited one after another and 400 fired at once, all end sent, in order', async () => {
    const conversation = await client.createConversation({ friendlyName: 'flood' });
    const sent: SentMessage[] = [];
    for (let i = 0; i < 400; i += 1) sent.push(await conversation.sendMessage(`m${i}`));
    sent.push(...(await Promise.all(Array.from({ length: 400 }, (_, i) => conversation.sendMessage(`m${400 + i}`)))));

    expect(sent.map((m) => m.body)).toEqual(Array.from({ length: 800 }, (_, i) => `m${i}`));
    const indexes = sent.map((m) => m.index);
    expect(indexes.every((index, i) => i === 0 || index > indexes[i - 1]!)).toBe(true);

    const shown = await firstValueFrom(conversation.messages$.pipe(
      filter((list) => list.length === 800 && list.every((m) => m.status === 'sent')),
      timeout(5_000),
    ));
    expect(shown.map((m) => m.body)).toEqual(Array.from({ length: 800 }, (_, i) => `m${i}`));
    // What the server stored, read back in index order.
    const page = await conversation.getMessages(100);
    expect(page.items.map((m) => m.body)).toEqual(Array.from({ length: 100 }, (_, i) => `m${700 + i}`));
  }, 60_000);
});
