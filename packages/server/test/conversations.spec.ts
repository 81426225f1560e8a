import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Conversation, Message } from '@rx-conversations/protocol';
import { startServer, type RunningServer } from '../src/index.js';
import { connectUser, key } from './helpers/connectUser.js';
import { expectStreamsIntact } from './helpers/expectStreamsIntact.js';
import { KEYS } from './helpers/testKeys.js';
import type { TestClient } from './helpers/TestClient.js';

let server: RunningServer;
const open: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: KEYS });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => server.close());

async function user(identity: string): Promise<TestClient> {
  const client = await connectUser(server, identity);
  open.push(client);
  return client;
}

let n = 0;
const unique = (name: string) => `${name}-${++n}`;

describe('conversations between users (SRV-3)', () => {
  it('SRV-3: two users converse; both receive messageAdded with increasing indexes; counts and unread are right', async () => {
    const alice = await user(unique('alice'));
    const bob = await user(unique('bob'));
    const conversation = await alice.request('conversations.create', { friendlyName: 'Lunch', uniqueName: unique('lunch') });
    expect(conversation.membership).toMatchObject({ role: 'admin', lastReadMessageIndex: null, unreadMessagesCount: 0 });
    expect(conversation.participantsCount).toBe(1);
    await alice.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === conversation.sid);

    const added = await alice.request('participants.add', { sid: conversation.sid, identity: bob.welcome.identity });
    expect(added).toMatchObject({ identity: bob.welcome.identity, role: 'member' });
    const bobAdded = await bob.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === conversation.sid);
    expect(bobAdded.data.conversation.membership?.role).toBe('member');
    await bob.waitForEvent('participantJoined', (e) => e.data.participant.identity === bob.welcome.identity);
    await alice.waitForEvent('participantJoined', (e) => e.data.participant.identity === bob.welcome.identity);

    const first = await alice.request('messages.send', { sid: conversation.sid, body: 'hi bob', idempotencyKey: key() });
    const second = await bob.request('messages.send', { sid: conversation.sid, body: 'hi alice', idempotencyKey: key() });
    const third = await alice.request('messages.send', { sid: conversation.sid, body: 'lunch?', idempotencyKey: key() });
    expect([first.index, second.index, third.index]).toEqual([0, 1, 2]);
    for (const client of [alice, bob]) {
      for (const message of [first, second, third]) {
        const event = await client.waitForEvent('messageAdded', (e) => e.data.message.sid === message.sid);
        expect(event.data.message).toEqual(message);
      }
      expectStreamsIntact(client.events());
    }

    expect(await bob.request('conversations.counts', { sid: conversation.sid })).toEqual({ messagesCount: 3, participantsCount: 2, unreadMessagesCount: 2 });
    expect(await alice.request('conversations.counts', { sid: conversation.sid })).toEqual({ messagesCount: 3, participantsCount: 2, unreadMessagesCount: 1 });

    const read = await bob.request('conversations.setLastRead', { sid: conversation.sid, index: 1, mode: 'advance' });
    expect(read.membership).toMatchObject({ lastReadMessageIndex: 1, unreadMessagesCount: 1 });
    // advance never moves back
    const back = await bob.request('conversations.setLastRead', { sid: conversation.sid, index: 0, mode: 'advance' });
    expect(back.membership?.lastReadMessageIndex).toBe(1);
    await alice.waitForEvent('participantUpdated', (e) => e.data.participant.identity === bob.welcome.identity && e.data.participant.lastReadMessageIndex === 1);

    const removed = await alice.request('messages.remove', { sid: conversation.sid, index: 2 });
    expect(removed).toEqual({ index: 2 });
    await bob.waitForEvent('messageRemoved', (e) => e.data.index === 2);
    expect(await bob.request('conversations.counts', { sid: conversation.sid })).toEqual({ messagesCount: 2, participantsCount: 2, unreadMessagesCount: 0 });

    const page = await bob.request('messages.list', { sid: conversation.sid });
    expect(page.items.map((m) => m.body)).toEqual(['hi bob', 'hi alice']);
    expect(page.hasMore).toBe(false);
    expect(page.asOfSeq).toBe(bob.lastSeq());
  });

  it('SRV-3: the author receives the events of a write before its reply (STORE-6)', async () => {
    const alice = await user(unique('alice'));
    const conversation = await alice.request('conversations.create', {});
    const id = 99;
    const reply = await alice.requestFrame('messages.send', { sid: conversation.sid, body: 'x', idempotencyKey: key() }, id);
    const replyAt = alice.frames.indexOf(reply);
    const eventAt = alice.frames.findIndex((f) => f.type === 'ev' && f.kind === 'messageAdded');
    expect(eventAt).toBeGreaterThanOrEqual(0);
    expect(eventAt).toBeLessThan(replyAt);
  });

  it('SRV-3: a non-participant can neither read nor write, and receives no event of the conversation', async () => {
    const alice = await user(unique('alice'));
    const mallory = await user(unique('mallory'));
    const conversation = await alice.request('conversations.create', { uniqueName: unique('secret') });
    const sid = conversation.sid;
    const attempts = await Promise.all([
      mallory.requestError('conversations.get', { sid }),
      mallory.requestError('conversations.peek', { sid }),
      mallory.requestError('conversations.get', { uniqueName: conversation.uniqueName! }),
      mallory.requestError('messages.list', { sid }),
      mallory.requestError('participants.list', { sid }),
      mallory.requestError('conversations.counts', { sid }),
      mallory.requestError('messages.send', { sid, body: 'spam', idempotencyKey: key() }),
      mallory.requestError('conversations.update', { sid, friendlyName: 'pwned' }),
      mallory.requestError('participants.add', { sid, identity: 'mallory2' }),
      mallory.requestError('conversations.delete', { sid }),
      mallory.requestError('conversations.typing', { sid }),
      mallory.requestError('conversations.setLastRead', { sid, index: 0, mode: 'set' }),
    ]);
    expect(attempts.map((e) => e.code)).toEqual(Array(attempts.length).fill('not_a_participant'));
    await alice.request('messages.send', { sid, body: 'private', idempotencyKey: key() });
    await alice.request('conversations.update', { sid, friendlyName: 'renamed' });
    // A request after the writes: had an event been queued for mallory, it would have arrived before this reply.
    await mallory.request('users.get', { identity: mallory.welcome.identity });
    expect(mallory.events()).toEqual([]);
    expect((await alice.request('messages.list', { sid })).items).toHaveLength(1);
    expect(await mallory.requestError('conversations.get', { sid: 'CHdoesnotexist' })).toMatchObject({ code: 'conversation_not_found' });
  });

  it('SRV-3, ADMIN-4: members cannot manage; admins can; under the default roles members edit their own messages only', async () => {
    const admin = await user(unique('admin'));
    const member = await user(unique('member'));
    const { sid } = await admin.request('conversations.create', {});
    await admin.request('participants.add', { sid, identity: member.welcome.identity });
    await member.waitForEvent('conversationAdded');
    expect((await member.requestError('conversations.update', { sid, friendlyName: 'x' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'editConversationName' } });
    expect((await member.requestError('participants.add', { sid, identity: 'carol' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'addParticipant' } });
    expect((await member.requestError('participants.update', { sid, identity: member.welcome.identity, role: 'admin' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'editAnyParticipantAttributes' } });
    expect((await member.requestError('conversations.delete', { sid }))).toMatchObject({ code: 'permission_denied', details: { permission: 'deleteConversation' } });
    const mine = await member.request('participants.update', { sid, identity: member.welcome.identity, attributes: { emoji: '🦊' } });
    expect(mine.attributes).toEqual({ emoji: '🦊' });

    const message = await admin.request('messages.send', { sid, body: 'from admin', idempotencyKey: key() });
    expect((await member.requestError('messages.update', { sid, index: message.index, body: 'edited' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'editAnyMessage' } });
    expect((await member.requestError('messages.remove', { sid, index: message.index }))).toMatchObject({ code: 'permission_denied', details: { permission: 'deleteAnyMessage' } });
    const own = await member.request('messages.send', { sid, body: 'from member', idempotencyKey: key() });
    const edited = await member.request('messages.update', { sid, index: own.index, body: 'edited' });
    expect(edited).toMatchObject({ body: 'edited', version: 2 });
    await admin.waitForEvent('messageUpdated', (e) => e.data.message.index === own.index && e.data.updateReasons.includes('body'));
    expect(await admin.request('messages.remove', { sid, index: own.index })).toEqual({ index: own.index });
    expect((await member.requestError('messages.update', { sid, index: own.index, body: 'again' })).code).toBe('message_not_found');

    const renamed = await admin.request('conversations.update', { sid, friendlyName: 'Team' });
    expect(renamed.friendlyName).toBe('Team');
    const seen = await member.waitForEvent('conversationUpdated', (e) => e.data.conversation.friendlyName === 'Team');
    expect(seen.data.updateReasons).toEqual(['friendlyName']);
    // One event for every member, serialised once: the shared fields, no one's membership (CORE-2).
    expect(seen.data.conversation.membership).toBeNull();
    expect(seen.stream).toBe(sid);

    await admin.request('conversations.delete', { sid });
    await member.waitForEvent('conversationRemoved', (e) => e.data.sid === sid && e.data.reason === 'deleted');
    expect((await member.requestError('conversations.get', { sid })).code).toBe('conversation_not_found');
  });

  it('SRV-3: join by unique name, leave, and remove emit the documented events', async () => {
    const owner = await user(unique('owner'));
    const joiner = await user(unique('joiner'));
    const uniqueName = unique('open-room');
    const { sid } = await owner.request('conversations.create', { uniqueName });
    const joined = await joiner.request('conversations.join', { uniqueName });
    expect(joined.membership?.role).toBe('member');
    expect(joined.participantsCount).toBe(2);
    await owner.waitForEvent('participantJoined', (e) => e.data.participant.identity === joiner.welcome.identity);
    const kinds = joiner.events().map((e) => e.kind);
    expect(kinds).toEqual(['conversationAdded', 'participantJoined']);
    expect(await joiner.request('conversations.leave', { sid })).toEqual({ sid });
    await joiner.waitForEvent('conversationRemoved', (e) => e.data.reason === 'left');
    await owner.waitForEvent('participantLeft', (e) => e.data.identity === joiner.welcome.identity);
    await joiner.request('conversations.join', { sid });
    await owner.request('participants.remove', { sid, identity: joiner.welcome.identity });
    await joiner.waitForEvent('conversationRemoved', (e) => e.data.reason === 'removed');
    expect((await owner.requestError('participants.remove', { sid, identity: joiner.welcome.identity })).code).toBe('participant_not_found');
    expect((await owner.requestError('conversations.create', { uniqueName })).code).toBe('unique_name_taken');
  });

  it('SRV-3: conversations.list pages with a keyset cursor and asOfSeq', async () => {
    const alice = await user(unique('alice'));
    const created: Conversation[] = [];
    for (let i = 0; i < 5; i++) created.push(await alice.request('conversations.create', { friendlyName: `c${i}` }));
    const added = await alice.waitForEvent('conversationAdded', (e) => e.data.conversation.sid === created[4]!.sid);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await alice.request('conversations.list', cursor === undefined ? { pageSize: 2 } : { pageSize: 2, cursor });
      // Read after alice's newest event: the position of the log when the page was read.
      expect(page.asOfSeq).toBe(added.seq);
      seen.push(...page.items.map((c) => c.sid));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(created.map((c) => c.sid));
    expect((await alice.requestError('conversations.list', { cursor: 'garbage' })).code).toBe('invalid_argument');
  });

  it('SRV-3: messages.list pages backwards and forwards from an exclusive anchor', async () => {
    const alice = await user(unique('alice'));
    const { sid } = await alice.request('conversations.create', {});
    const sent: Message[] = [];
    for (let i = 0; i < 7; i++) sent.push(await alice.request('messages.send', { sid, body: `m${i}`, idempotencyKey: key() }));
    const newest = await alice.request('messages.list', { sid, pageSize: 3 });
    expect(newest.items.map((m) => m.index)).toEqual([4, 5, 6]);
    expect(newest.hasMore).toBe(true);
    const older = await alice.request('messages.list', { sid, pageSize: 3, anchor: 4 });
    expect(older.items.map((m) => m.index)).toEqual([1, 2, 3]);
    const oldest = await alice.request('messages.list', { sid, pageSize: 3, anchor: 1 });
    expect(oldest).toMatchObject({ hasMore: false });
    expect(oldest.items.map((m) => m.index)).toEqual([0]);
    const forwards = await alice.request('messages.list', { sid, pageSize: 4, direction: 'forwards' });
    expect(forwards.items.map((m) => m.index)).toEqual([0, 1, 2, 3]);
    expect(forwards.hasMore).toBe(true);
    const rest = await alice.request('messages.list', { sid, pageSize: 4, direction: 'forwards', anchor: 3 });
    expect(rest.items.map((m) => m.index)).toEqual([4, 5, 6]);
    expect(rest.hasMore).toBe(false);
  });
});
