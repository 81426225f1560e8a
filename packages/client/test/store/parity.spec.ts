// The Twilio features the client was missing (PARITY-1..4), against the real server: conversation
// state in the store, participants by identity or sid and their attributes, reactions and threads,
// and the users the client watches.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { ConversationsError, type ConversationsClient, type MessageView, type SentMessage } from '../../src/index.js';
import { adminRest, current, startStoreServer, waitUntil, within, type StoreServer } from './storeServer.js';

let h: StoreServer;
let alice: ConversationsClient;
let bob: ConversationsClient;

beforeAll(async () => {
  h = await startStoreServer();
  ({ client: alice } = await h.client('alice'));
  ({ client: bob } = await h.client('bob'));
});
afterAll(async () => {
  await h.close();
});

describe('the Twilio features the client was missing (PARITY-1..4)', () => {
  it('PARITY-1: a conversation shows its state, and conversationUpdated$ names a state change', async () => {
    const c = await alice.createConversation({ friendlyName: 'Stateful' });
    expect((await current(c.state$))!.state.current).toBe('active');
    const updated = firstValueFrom(alice.conversationUpdated$.pipe(take(1)));
    // The app's backend closes it, as on Twilio.
    const sent = waitUntil(c.state$, (s) => s?.state.current === 'closed', 'the closed state');
    expect(await adminRest(h.server, `/Conversations/${c.sid}`, { State: 'closed' })).toMatchObject({ state: 'closed' });
    expect((await sent)!.state.current).toBe('closed');
    expect((await within(updated, 'conversationUpdated$')).updateReasons).toContain('state');
    await expect(c.sendMessage('too late')).rejects.toMatchObject({ code: 'message_send_failed', cause: { code: 'conversation_closed' } });
  });

  it('PARITY-2: participants by identity or sid, observed or not; attributes updated through the conversation', async () => {
    const c = await alice.createConversation({ friendlyName: 'Roster' });
    await c.add('bob', { attributes: { team: 'blue' } });
    const byIdentity = await c.getParticipantByIdentity('bob');
    expect(byIdentity).toMatchObject({ identity: 'bob', type: 'chat', messagingBinding: null, attributes: { team: 'blue' } });
    expect(await c.getParticipantBySid(byIdentity.sid)).toEqual(byIdentity);
    await expect(c.getParticipantByIdentity('nobody')).rejects.toMatchObject({ code: 'participant_not_found' });

    // Bob changes his own attributes from his side; alice's observed roster shows it.
    const roster = c.participants$.subscribe();
    const bobSide = bob.conversation(c.sid);
    const changed = await bobSide.updateParticipant('bob', { attributes: { team: 'red' } });
    expect(changed.attributes).toEqual({ team: 'red' });
    await waitUntil(c.participants$, (ps) => ps.some((p) => p.identity === 'bob' && (p.attributes as { team?: string }).team === 'red'), "bob's new attributes");
    expect((await c.getParticipantByIdentity('bob')).attributes).toEqual({ team: 'red' });
    // Someone else's attributes need editAnyParticipantAttributes, which members do not have.
    await expect(bobSide.updateParticipant('alice', { attributes: { x: 1 } })).rejects.toMatchObject({ code: 'permission_denied', details: { permission: 'editAnyParticipantAttributes' } });
    roster.unsubscribe();
  });

  it('PARITY-2: a participant handle: bob updates his own attributes through it, alice sees them; others\' need permissions', async () => {
    const c = await alice.createConversation({ friendlyName: 'Handles' });
    await c.add('bob', { attributes: { status: 'here' } });
    const bobSide = bob.conversation(c.sid);
    const me = bobSide.participant('bob');
    expect(bobSide.participant('bob')).toBe(me);
    expect([me.identity, me.conversationSid]).toEqual(['bob', c.sid]);

    const roster = c.participants$.subscribe();
    const watching = me.state$.subscribe();
    await waitUntil(me.state$, (p) => p.identity === 'bob', "bob's own state");
    const updated = await me.updateAttributes({ status: 'away' });
    expect(updated.attributes).toEqual({ status: 'away' });
    // Read-your-writes: the handle shows it as soon as the command resolves.
    expect((await current(me.state$)).attributes).toEqual({ status: 'away' });
    await waitUntil(c.participants$, (ps) => ps.some((p) => p.identity === 'bob' && (p.attributes as { status?: string }).status === 'away'), "bob's new attributes on alice's side");

    // A member may edit only his own attributes, and remove nobody.
    const aliceFromBob = bobSide.participant('alice');
    await expect(aliceFromBob.updateAttributes({ status: 'gone' })).rejects.toMatchObject({ code: 'permission_denied', details: { permission: 'editAnyParticipantAttributes' } });
    await expect(aliceFromBob.remove()).rejects.toMatchObject({ code: 'permission_denied', details: { permission: 'removeParticipant' } });
    expect((await c.getParticipantByIdentity('alice')).attributes).toEqual({});

    // The admin removes bob through her handle: its state$ and bob's own complete, and the roster no longer shows him.
    const bobFromAlice = c.participant('bob');
    const aliceSees = firstValueFrom(bobFromAlice.state$.pipe(toArray()));
    const bobSees = firstValueFrom(me.state$.pipe(toArray()));
    await bobFromAlice.remove();
    expect((await current(c.participants$)).map((p) => p.identity)).toEqual(['alice']);
    expect((await within(aliceSees, "alice's handle of bob to complete")).map((p) => p.attributes)).toEqual([{ status: 'away' }]);
    await within(bobSees, "bob's own handle to complete");
    watching.unsubscribe();
    roster.unsubscribe();
  });

  it('PARITY-2, ROBUST-2: after shutdown a participant handle\'s state$ completes and its methods reject with client_shut_down', async () => {
    const { client } = await h.client('frank');
    const c = await client.createConversation({ friendlyName: 'Shut' });
    const me = c.participant('frank');
    await waitUntil(me.state$, (p) => p.identity === 'frank', "frank's own state");
    const ends = firstValueFrom(me.state$.pipe(toArray()));
    await client.shutdown();
    expect(await within(ends, 'state$ to complete')).toHaveLength(1);
    expect(await within(firstValueFrom(me.state$.pipe(toArray())), 'a later subscription to complete')).toEqual([]);
    await expect(me.updateAttributes({ status: 'late' })).rejects.toMatchObject({ code: 'client_shut_down' });
    await expect(me.remove()).rejects.toMatchObject({ code: 'client_shut_down' });
  });

  it('PARITY-3: reactions appear on the message in messages$, and a thread pages its replies', async () => {
    const c = await alice.createConversation({ friendlyName: 'Reactions' });
    await c.add('bob');
    const window = c.messages$.subscribe();
    const sent = await c.sendMessage('ship it?');
    const bobSide = bob.conversation(sent.conversationSid);
    await bobSide.react(sent.index, '🚀');
    await c.react(sent.index, '🚀');
    const reactionsOf = (ms: readonly MessageView[]) => ms.find((m): m is SentMessage => m.status === 'sent' && m.index === sent.index)?.reactions;
    const shown = await waitUntil(c.messages$, (ms) => reactionsOf(ms)?.[0]?.count === 2, 'two reactions');
    expect(reactionsOf(shown)).toEqual([{ emoji: '🚀', count: 2, identities: ['bob', 'alice'], reactedByMe: true }]);
    await c.unreact(sent.index, '🚀');
    const after = await waitUntil(c.messages$, (ms) => reactionsOf(ms)?.[0]?.count === 1, 'one reaction left');
    expect(reactionsOf(after)).toEqual([{ emoji: '🚀', count: 1, identities: ['bob'], reactedByMe: false }]);
    // Bob's side knows his own, live, and so does a client that reads the page afresh.
    const bobWindow = bobSide.messages$.subscribe();
    const bobSees = await waitUntil(bobSide.messages$, (ms) => ms.some((m) => m.status === 'sent' && m.index === sent.index), "bob's window");
    expect(bobSees.find((m): m is SentMessage => m.status === 'sent' && m.index === sent.index)!.reactions).toEqual([{ emoji: '🚀', count: 1, identities: ['bob'], reactedByMe: true }]);
    bobWindow.unsubscribe();
    // Four others react: the summary names three, and alice still knows she is one of them.
    for (const other of ['carol', 'dave', 'erin']) {
      const { client } = await h.client(other);
      await alice.conversation(c.sid).add(other);
      await client.conversation(c.sid).react(sent.index, '🚀');
    }
    await c.react(sent.index, '🚀');
    const many = await waitUntil(c.messages$, (ms) => reactionsOf(ms)?.[0]?.count === 5, 'five reactions');
    expect(reactionsOf(many)).toEqual([{ emoji: '🚀', count: 5, identities: ['bob', 'carol', 'dave'], reactedByMe: true }]);
    await expect(c.react(sent.index, 'not an emoji')).rejects.toBeInstanceOf(ConversationsError);

    for (const body of ['yes', 'no', 'maybe']) {
      const reply = await bobSide.sendMessage({ body, replyTo: sent.index });
      expect(reply.replyTo).toBe(sent.index);
    }
    await expect(bobSide.sendMessage({ body: 'to nothing', replyTo: 9_999 })).rejects.toMatchObject({ code: 'message_send_failed', cause: { code: 'message_not_found' } });
    const newest = await c.getThread(sent.index, 2);
    expect(newest.items.map((m) => m.body)).toEqual(['no', 'maybe']);
    expect(newest.items.every((m) => m.replyTo === sent.index)).toBe(true);
    const older = await newest.prevPage();
    expect(older.items.map((m) => m.body)).toEqual(['yes']);
    expect(older.hasPrevPage).toBe(false);
    // The live thread: the replies the window holds, as they come.
    const live = await waitUntil(c.thread$(sent.index), (t) => t.length === 3, 'three replies in the thread');
    expect(live.map((m) => m.body)).toEqual(['yes', 'no', 'maybe']);
    window.unsubscribe();
  });

  it('PARITY-3: readBy$ follows the other participants\' read horizons, live from the roster', async () => {
    const c = await alice.createConversation({ friendlyName: 'Receipts' });
    await c.add('bob');
    const first = await c.sendMessage('one');
    const second = await c.sendMessage('two');
    const seen: Array<readonly string[]> = [];
    const watching = c.readBy$(first.index).subscribe((readers) => seen.push(readers));
    await waitUntil(c.readBy$(first.index), (r) => r.length === 0, 'nobody has read it yet');
    await bob.conversation(c.sid).advanceLastReadMessageIndex(second.index);
    expect(await waitUntil(c.readBy$(first.index), (r) => r.length === 1, 'bob read it')).toEqual(['bob']);
    expect(await current(c.readBy$(second.index))).toEqual(['bob']);
    // Alice's own horizon is not a receipt.
    await c.setAllMessagesRead();
    expect(await current(c.readBy$(first.index))).toEqual(['bob']);
    watching.unsubscribe();
    expect(seen).toEqual([[], ['bob']]);
  });

  it('PARITY-4: client.user is a synchronous snapshot; watched users are listed and announced as they come and go', async () => {
    expect(alice.user).toMatchObject({ identity: 'alice' });
    const subscribed = firstValueFrom(alice.userSubscribed$.pipe(take(1)));
    const unsubscribed = firstValueFrom(alice.userUnsubscribed$.pipe(take(1)));
    const handle = await alice.getUser('bob');
    const watch = handle.state$.subscribe();
    expect(await within(subscribed, 'userSubscribed$')).toBe('bob');
    await waitUntil(handle.state$, (u) => u.identity === 'bob', "bob's state");
    expect((await alice.getSubscribedUsers()).map((u) => u.identity)).toEqual(['bob']);
    watch.unsubscribe();
    expect(await within(unsubscribed, 'userUnsubscribed$')).toBe('bob');
    expect(await alice.getSubscribedUsers()).toEqual([]);
  });

  it('PARITY-4: after shutdown the new streams complete and the new methods reject', async () => {
    const { client } = await h.client('carol');
    const ends = Promise.all([client.userSubscribed$, client.userUnsubscribed$].map((o) => firstValueFrom(o.pipe(toArray()))));
    await client.shutdown();
    expect(await within(ends, 'the streams to complete')).toEqual([[], []]);
    await expect(client.getSubscribedUsers()).rejects.toMatchObject({ code: 'client_shut_down' });
  });
});
