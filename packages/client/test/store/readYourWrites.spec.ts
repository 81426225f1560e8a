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

const current = <T>(o: { subscribe: never } | import('rxjs').Observable<T>) => firstValueFrom(o as import('rxjs').Observable<T>);

describe('STORE-6: every command is visible in the store right after await (real server)', () => {
  it('STORE-6: conversation commands', async () => {
    const c = await alice.createConversation({ friendlyName: 'Plans', uniqueName: 'plans-rw', attributes: { a: 1 } });
    expect((await current(alice.conversations$)).some((x) => x.sid === c.sid)).toBe(true);
    expect((await current(c.state$))!.friendlyName).toBe('Plans');

    await c.updateFriendlyName('Plans 2');
    expect((await current(c.state$))!.friendlyName).toBe('Plans 2');
    await c.updateAttributes({ b: 2 });
    expect((await current(c.state$))!.attributes).toEqual({ b: 2 });
    await c.updateUniqueName('plans-rw-2');
    expect((await current(c.state$))!.uniqueName).toBe('plans-rw-2');
    await c.setNotificationLevel('muted');
    expect((await current(c.state$))!.membership!.notificationLevel).toBe('muted');

    const roster = c.participants$.subscribe();
    await c.add('bob');
    expect((await current(c.participants$)).map((p) => p.identity).sort()).toEqual(['alice', 'bob']);

    const sent = await c.sendMessage('one');
    let messages = await current(c.messages$);
    expect(messages.map((m) => [m.status, m.body])).toEqual([['sent', 'one']]);
    expect(sent.index).toBe(messages[0]!.index);
    await c.sendMessage({ body: 'two', attributes: { x: 1 } });
    expect((await current(c.state$))!.lastMessageIndex).toBe(sent.index + 1);

    await c.updateMessage(sent.index, { body: 'one (edited)' });
    messages = await current(c.messages$);
    expect(messages[0]!.body).toBe('one (edited)');
    await c.removeMessage(sent.index);
    expect((await current(c.messages$)).map((m) => m.body)).toEqual(['two']);

    await c.updateLastReadMessageIndex(null);
    expect((await current(c.state$))!.membership!.lastReadMessageIndex).toBeNull();
    await c.advanceLastReadMessageIndex(sent.index + 1);
    expect((await current(c.state$))!.membership!.lastReadMessageIndex).toBe(sent.index + 1);
    await c.setAllMessagesUnread();
    expect((await current(c.state$))!.membership!.lastReadMessageIndex).toBeNull();
    await c.setAllMessagesRead();
    expect((await current(c.state$))!.membership!.lastReadMessageIndex).toBe(sent.index + 1);

    await c.removeParticipant('bob');
    expect((await current(c.participants$)).map((p) => p.identity)).toEqual(['alice']);
    roster.unsubscribe();

    await c.leave();
    expect((await current(alice.conversations$)).some((x) => x.sid === c.sid)).toBe(false);
    const rejoined = await alice.joinConversation({ sid: c.sid });
    expect(rejoined).toBe(c);
    expect((await current(alice.conversations$)).some((x) => x.sid === c.sid)).toBe(true);

    const doomed = await alice.createConversation({ friendlyName: 'doomed' });
    await doomed.delete();
    expect((await current(alice.conversations$)).some((x) => x.sid === doomed.sid)).toBe(false);
  });

  it('STORE-6, STORE-10: updateMyUser is in user$ after await', async () => {
    const me = await alice.updateMyUser({ friendlyName: 'Alice A.' });
    expect(me.friendlyName).toBe('Alice A.');
    expect((await current(alice.user$)).friendlyName).toBe('Alice A.');
  });

  it('STORE-2: a conversation bob is added to appears in his list, once', async () => {
    const c = await alice.createConversation({ friendlyName: 'for bob' });
    await c.add('bob');
    const list = await waitUntil(bob.conversations$, (l) => l.some((x) => x.sid === c.sid), 'bob.conversations$');
    expect(list.filter((x) => x.sid === c.sid)).toHaveLength(1);
  });
});
