import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { startHarness, TrackedWebSocket, waitFor, type Harness } from './harness.js';
import type { ConversationsClient } from '../../src/index.js';

let h: Harness;
let alice: ConversationsClient;
let bob: ConversationsClient;

beforeAll(async () => {
  h = await startHarness();
  alice = await h.client('alice');
  bob = await h.client('bob');
});
afterAll(async () => {
  await h.close();
});

describe('two real clients converse (real server)', () => {
  it('STORE-3, STORE-5, STORE-9: messages, unread counts, typing and read horizons flow both ways', async () => {
    const created = await alice.createConversation({ friendlyName: 'chat' });
    await created.add('bob');
    await waitFor(bob.conversations$, (l) => l.some((c) => c.sid === created.sid));
    const a = created;
    const b = bob.conversation(created.sid);
    const bobMessages = b.messages$.subscribe();
    const added = firstValueFrom(bob.messageAdded$);

    await a.sendMessage('hello bob');
    expect((await added).body).toBe('hello bob');
    const seen = await waitFor(b.messages$, (l) => l.length === 1);
    expect(seen[0]!.body).toBe('hello bob');
    expect((await firstValueFrom(b.state$))!.membership!.unreadMessagesCount).toBe(1);

    const typing = waitFor(b.typing$, (t) => t.includes('alice'));
    await a.typing();
    await typing;

    const aliceRoster = a.participants$.subscribe();
    await b.setAllMessagesRead();
    expect((await firstValueFrom(b.state$))!.membership!.unreadMessagesCount).toBe(0);
    const bobAsSeenByAlice = await waitFor(a.participants$, (ps) => ps.some((p) => p.identity === 'bob' && p.lastReadMessageIndex === seen[0]!.index));
    expect(bobAsSeenByAlice.length).toBe(2);
    aliceRoster.unsubscribe();

    await b.sendMessage('hi alice');
    const aliceView = await waitFor(a.messages$, (l) => l.some((m) => m.body === 'hi alice'));
    expect(aliceView.map((m) => m.body)).toEqual(['hello bob', 'hi alice']);
    expect(await a.getMessagesCount()).toBe(2);
    bobMessages.unsubscribe();
  });

  it('STORE-7: a message sent while the connection is down appears once, for both, after reconnect', async () => {
    const c = await alice.createConversation({ friendlyName: 'offline' });
    await c.add('bob');
    await waitFor(bob.conversations$, (l) => l.some((x) => x.sid === c.sid));
    const mine = c.messages$.subscribe();
    const theirs = bob.conversation(c.sid);
    const theirSub = theirs.messages$.subscribe();

    // Cut every socket (both clients: the server sees drops, the clients reconnect and resume).
    const states: string[] = [];
    const stateSub = alice.connectionState$.subscribe((s) => states.push(s));
    for (const socket of [...TrackedWebSocket.open]) socket.terminate();
    const sending = c.sendMessage('sent while offline');
    const local = await firstValueFrom(c.messages$);
    expect(local.map((m) => m.status)).toEqual(['sending']);
    const sent = await sending;
    expect(sent.status).toBe('sent');
    const final = await waitFor(c.messages$, (l) => l.length === 1 && l[0]!.status === 'sent');
    expect(final.map((m) => m.body)).toEqual(['sent while offline']);
    const onBob = await waitFor(theirs.messages$, (l) => l.length >= 1);
    expect(onBob.map((m) => m.body)).toEqual(['sent while offline']);
    expect(states).toContain('connecting');
    stateSub.unsubscribe();
    mine.unsubscribe();
    theirSub.unsubscribe();
  });
});
