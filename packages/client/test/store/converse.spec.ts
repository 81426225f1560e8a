import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { startStoreServer, waitUntil, type Connected, type StoreServer } from './storeServer.js';
import type { ConversationsClient } from '../../src/index.js';

let h: StoreServer;
let aliceSide: Connected;
let bobSide: Connected;
let alice: ConversationsClient;
let bob: ConversationsClient;

beforeAll(async () => {
  h = await startStoreServer();
  aliceSide = await h.client('alice');
  bobSide = await h.client('bob');
  ({ client: alice } = aliceSide);
  ({ client: bob } = bobSide);
});
afterAll(async () => {
  await h.close();
});

describe('two real clients converse (real server)', () => {
  it('STORE-3, STORE-5, STORE-9: messages, unread counts, typing and read horizons flow both ways', async () => {
    const created = await alice.createConversation({ friendlyName: 'chat' });
    await created.add('bob');
    await waitUntil(bob.conversations$, (l) => l.some((c) => c.sid === created.sid), 'bob.conversations$');
    const a = created;
    const b = bob.conversation(created.sid);
    const bobMessages = b.messages$.subscribe();
    const added = firstValueFrom(bob.messageAdded$);

    await a.sendMessage('hello bob');
    expect((await added).body).toBe('hello bob');
    const seen = await waitUntil(b.messages$, (l) => l.length === 1, 'b.messages$');
    expect(seen[0]!.body).toBe('hello bob');
    expect((await firstValueFrom(b.state$))!.membership!.unreadMessagesCount).toBe(1);

    const typing = waitUntil(b.typing$, (t) => t.includes('alice'), 'b.typing$');
    await a.typing();
    await typing;

    const aliceRoster = a.participants$.subscribe();
    await b.setAllMessagesRead();
    expect((await firstValueFrom(b.state$))!.membership!.unreadMessagesCount).toBe(0);
    const bobAsSeenByAlice = await waitUntil(a.participants$, (ps) => ps.some((p) => p.identity === 'bob' && p.lastReadMessageIndex === seen[0]!.index), 'a.participants$');
    expect(bobAsSeenByAlice.length).toBe(2);
    aliceRoster.unsubscribe();

    await b.sendMessage('hi alice');
    const aliceView = await waitUntil(a.messages$, (l) => l.some((m) => m.body === 'hi alice'), 'a.messages$');
    expect(aliceView.map((m) => m.body)).toEqual(['hello bob', 'hi alice']);
    expect(await a.getMessagesCount()).toBe(2);
    bobMessages.unsubscribe();
  });

  it('STORE-7: a message sent while the connection is down appears once, for both, after reconnect', async () => {
    const c = await alice.createConversation({ friendlyName: 'offline' });
    await c.add('bob');
    await waitUntil(bob.conversations$, (l) => l.some((x) => x.sid === c.sid), 'bob.conversations$');
    const mine = c.messages$.subscribe();
    const theirs = bob.conversation(c.sid);
    const theirSub = theirs.messages$.subscribe();

    // Cut every socket (both clients: the server sees drops, the clients reconnect and resume).
    const states: string[] = [];
    const stateSub = alice.connectionState$.subscribe((s) => states.push(s));
    aliceSide.wire.dropAll();
    bobSide.wire.dropAll();
    const sending = c.sendMessage('sent while offline');
    const local = await firstValueFrom(c.messages$);
    expect(local.map((m) => m.status)).toEqual(['sending']);
    const sent = await sending;
    expect(sent.status).toBe('sent');
    const final = await waitUntil(c.messages$, (l) => l.length === 1 && l[0]!.status === 'sent', 'c.messages$');
    expect(final.map((m) => m.body)).toEqual(['sent while offline']);
    const onBob = await waitUntil(theirs.messages$, (l) => l.length >= 1, 'theirs.messages$');
    expect(onBob.map((m) => m.body)).toEqual(['sent while offline']);
    expect(states).toContain('connecting');
    stateSub.unsubscribe();
    mine.unsubscribe();
    theirSub.unsubscribe();
  });
});
