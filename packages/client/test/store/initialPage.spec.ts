// ROBUST-4 against the real server: subscribing is asking. The first subscription to a conversation's
// `messages$` whose window is empty shows its newest `initialPageSize` messages without any call;
// conversations nobody observes are not read; `initialPageSize: 0` turns it off.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MessageView } from '../../src/index.js';
import { startStoreServer, waitUntil, type StoreServer } from './storeServer.js';

let env: StoreServer;
let busy: string;
let quiet: string;

beforeAll(async () => {
  env = await startStoreServer();
  const { client: alice } = await env.client('alice');
  const a = await alice.createConversation({ friendlyName: 'busy' });
  await a.add('bob');
  for (let i = 0; i < 40; i += 1) await a.sendMessage(`m${i}`);
  const b = await alice.createConversation({ friendlyName: 'quiet' });
  await b.add('bob');
  await b.sendMessage('hello');
  busy = a.sid;
  quiet = b.sid;
});

afterAll(async () => {
  await env.close();
});

const bodies = (list: readonly MessageView[]) => list.map((m) => m.body);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe('the first subscription loads the newest page (ROBUST-4)', () => {
  it('ROBUST-4: subscribing to messages$ shows the newest 30 messages; loadOlder brings the 10 before; the other conversation is not read', async () => {
    const { client: bob, wire } = await env.client('bob');
    const listed = () => wire.requests.filter((r) => r.op === 'messages.list').map((r) => (r.args as { sid: string }).sid);
    expect(listed()).toEqual([]);

    const conversation = bob.conversation(busy);
    const shown = await waitUntil(conversation.messages$, (list) => list.length > 0, 'the newest page');
    expect(bodies(shown)).toEqual(range(10, 40));
    expect(listed()).toEqual([busy]);

    // loadOlder continues from there.
    expect(await conversation.loadOlder()).toEqual({ loaded: 10, hasMore: false });
    expect(bodies(await waitUntil(conversation.messages$, (list) => list.length === 40, 'all 40'))).toEqual(range(0, 40));
    expect(listed()).toEqual([busy, busy]);
    // The conversation nobody looked at was never read, though it is in the list.
    expect(bob.conversation(quiet).state?.lastMessageIndex).toBe(0);
    expect(listed()).not.toContain(quiet);
  });

  it('ROBUST-4: a loadOlder right after subscribing waits for the first page and brings the one before it', async () => {
    const { client: bob, wire } = await env.client('bob');
    const conversation = bob.conversation(busy);
    const seen: (readonly MessageView[])[] = [];
    conversation.messages$.subscribe((list) => seen.push(list));
    expect(await conversation.loadOlder(5)).toEqual({ loaded: 5, hasMore: true });
    expect(bodies(seen[seen.length - 1]!)).toEqual(range(5, 40));
    expect(wire.requests.filter((r) => r.op === 'messages.list')).toHaveLength(2);
  });

  it('ROBUST-4: initialPageSize 0 turns it off: the window stays empty until loadOlder', async () => {
    const { client: bob, wire } = await env.client('bob', { initialPageSize: 0 });
    const conversation = bob.conversation(busy);
    const seen: (readonly MessageView[])[] = [];
    conversation.messages$.subscribe((list) => seen.push(list));
    await bob.conversation(busy).getParticipantsCount(); // a round trip: a load would have been sent before it
    expect(wire.requests.filter((r) => r.op === 'messages.list')).toHaveLength(0);
    expect(seen.every((list) => list.length === 0)).toBe(true);
    await conversation.loadOlder();
    expect(bodies(seen[seen.length - 1]!)).toEqual(range(10, 40));
  });
});
