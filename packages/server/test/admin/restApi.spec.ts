import { describe, expect, it } from '@jest/globals';
import { useServers } from '../helpers/useServers.js';
import { KEY_ID } from '../helpers/testKeys.js';
import { ACCOUNT_SID, SERVICE_SID, restFailure, twilioClientFor } from '../helpers/twilioRest.js';

const AUTH_TOKEN = 'auth-token-of-the-test-account-0001';


describe('admin REST API with the official twilio library (ADMIN-1, ADMIN-2)', () => {
  const { start, connect } = useServers();
  const startRest = () => start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: AUTH_TOKEN });

  it('ADMIN-1, ADMIN-2: a backend creates a conversation, adds users and posts as the system and as a user; connected clients see each step live', async () => {
    const server = await startRest();
    const alice = await connect(server, 'alice');
    const backend = twilioClientFor(server).conversations.v1;

    const created = await backend.conversations.create({ friendlyName: 'Support', uniqueName: 'support-42', attributes: JSON.stringify({ tier: 'gold' }) });
    expect(created.sid).toMatch(/^CH/);
    expect(created).toMatchObject({ accountSid: ACCOUNT_SID, chatServiceSid: SERVICE_SID, friendlyName: 'Support', uniqueName: 'support-42', state: 'active' });
    expect(JSON.parse(created.attributes)).toEqual({ tier: 'gold' });
    expect(created.dateCreated).toBeInstanceOf(Date);

    const participant = await backend.conversations('support-42').participants.create({ identity: 'alice' });
    expect(participant).toMatchObject({ identity: 'alice', conversationSid: created.sid, accountSid: ACCOUNT_SID });
    expect(participant.sid).toMatch(/^MB/);
    const added = await alice.waitForEvent('conversationAdded');
    expect(added.data.conversation).toMatchObject({ sid: created.sid, friendlyName: 'Support', attributes: { tier: 'gold' } });

    const notice = await backend.conversations(created.sid).messages.create({ body: 'An agent will join shortly.' });
    expect(notice).toMatchObject({ author: 'system', participantSid: null, index: 0, body: 'An agent will join shortly.' });
    const asAlice = await backend.conversations(created.sid).messages.create({ author: 'alice', body: 'Thanks', attributes: '{"via":"sms"}' });
    expect(asAlice).toMatchObject({ author: 'alice', participantSid: participant.sid, index: 1 });

    const live = [await alice.waitForEvent('messageAdded', (e) => e.data.message.index === 0), await alice.waitForEvent('messageAdded', (e) => e.data.message.index === 1)];
    expect(live.map((e) => [e.data.message.author, e.data.message.body, e.data.message.sid])).toEqual([
      ['system', 'An agent will join shortly.', notice.sid],
      ['alice', 'Thanks', asAlice.sid],
    ]);
    expect(live[1]!.data.message.attributes).toEqual({ via: 'sms' });

    const renamed = await backend.conversations(created.sid).update({ friendlyName: 'Support (gold)' });
    expect(renamed.friendlyName).toBe('Support (gold)');
    const updated = await alice.waitForEvent('conversationUpdated');
    expect(updated.data).toMatchObject({ conversation: { friendlyName: 'Support (gold)' }, updateReasons: ['friendlyName'] });

    // The "reactions in attributes" pattern: the backend edits a user's message attributes.
    const reacted = await backend.conversations(created.sid).messages(asAlice.sid).update({ attributes: '{"via":"sms","reactions":{"👍":["bob"]}}' });
    expect(JSON.parse(reacted.attributes)).toEqual({ via: 'sms', reactions: { '👍': ['bob'] } });
    const edited = await alice.waitForEvent('messageUpdated');
    expect(edited.data).toMatchObject({ message: { index: 1, attributes: { reactions: { '👍': ['bob'] } } }, updateReasons: ['attributes', 'lastUpdatedBy', 'dateUpdated'] });

    await backend.conversations(created.sid).messages(notice.sid).remove();
    expect((await alice.waitForEvent('messageRemoved')).data).toMatchObject({ sid: notice.sid, index: 0 });

    await backend.conversations(created.sid).participants('alice').remove();
    expect((await alice.waitForEvent('conversationRemoved')).data).toEqual({ sid: created.sid, reason: 'removed' });
  });

  it('ADMIN-1: lists are pages of exactly what is stored, in order, followed through next_page_url by the library', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const conversation = await backend.conversations.create({ friendlyName: 'Paged' });
    const bodies = Array.from({ length: 7 }, (_, i) => `m${i}`);
    for (const body of bodies) await backend.conversations(conversation.sid).messages.create({ body });
    for (const identity of ['p1', 'p2', 'p3', 'p4', 'p5']) await backend.conversations(conversation.sid).participants.create({ identity });

    const ascending = await backend.conversations(conversation.sid).messages.list({ pageSize: 3 });
    expect(ascending.map((m) => m.body)).toEqual(bodies);
    const descending = await backend.conversations(conversation.sid).messages.list({ order: 'desc', pageSize: 2 });
    expect(descending.map((m) => m.index)).toEqual([6, 5, 4, 3, 2, 1, 0]);

    const first = await backend.conversations(conversation.sid).participants.page({ pageSize: 2 });
    expect(first.instances.map((p) => p.identity)).toEqual(['p1', 'p2']);
    const second = await first.nextPage();
    expect(second!.instances.map((p) => p.identity)).toEqual(['p3', 'p4']);
    const third = await second!.nextPage();
    expect(third!.instances.map((p) => p.identity)).toEqual(['p5']);
    expect(await third!.nextPage()).toBeUndefined();

    for (const name of ['b', 'c']) await backend.conversations.create({ friendlyName: name });
    const all = await backend.conversations.list({ pageSize: 1 });
    expect(all.map((c) => c.friendlyName)).toEqual(['Paged', 'b', 'c']);
  });

  it('ADMIN-1: the service-scoped paths work for this service only, and the account sid with its auth token signs in too', async () => {
    const server = await startRest();
    const asAccount = twilioClientFor(server, { username: ACCOUNT_SID, password: AUTH_TOKEN }).conversations.v1;
    const scoped = await asAccount.services(SERVICE_SID).conversations.create({ uniqueName: 'scoped' });
    expect((await asAccount.conversations('scoped').fetch()).sid).toBe(scoped.sid);
    const participant = await asAccount.services(SERVICE_SID).conversations(scoped.sid).participants.create({ identity: 'bob' });
    expect(participant.chatServiceSid).toBe(SERVICE_SID);

    const other = await restFailure(asAccount.services('IS99999999999999999999999999999999').conversations(scoped.sid).fetch());
    expect(other).toMatchObject({ status: 404, code: 20404 });
  });

  it('ADMIN-1: bad credentials get 401 with code 20003 and change nothing', async () => {
    const server = await startRest();
    const intruder = twilioClientFor(server, { username: KEY_ID, password: 'not-the-secret-of-this-key-000000' }).conversations.v1;
    expect(await restFailure(intruder.conversations.create({ uniqueName: 'intruder' }))).toMatchObject({ status: 401, code: 20003 });
    const unknownKey = twilioClientFor(server, { username: 'SKunknown', password: AUTH_TOKEN }).conversations.v1;
    expect(await restFailure(unknownKey.conversations.list())).toMatchObject({ status: 401, code: 20003 });
    const noAuth = await fetch(`${server.httpUrl}/v1/Conversations`);
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Basic/);

    const backend = twilioClientFor(server).conversations.v1;
    expect(await backend.conversations.list()).toEqual([]);
  });

  it('ADMIN-1: bad input gets a Twilio-style error and changes nothing', async () => {
    const server = await startRest();
    const alice = await connect(server, 'alice');
    const backend = twilioClientFor(server).conversations.v1;
    const conversation = await backend.conversations.create({ uniqueName: 'taken' });
    await backend.conversations('taken').participants.create({ identity: 'alice' });
    await alice.waitForEvent('participantJoined');

    expect(await restFailure(backend.conversations.create({ uniqueName: 'taken' }))).toMatchObject({ status: 409, code: 50353 });
    expect(await restFailure(backend.conversations('taken').participants.create({ identity: 'alice' }))).toMatchObject({ status: 409, code: 50433 });
    expect(await restFailure(backend.conversations('CHnothing').fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await restFailure(backend.conversations('taken').messages('IMnothing').fetch())).toMatchObject({ status: 404, code: 20404 });
    const badJson = await restFailure(backend.conversations('taken').messages.create({ body: 'x', attributes: '{not json' }));
    expect(badJson).toMatchObject({ status: 400, code: 20001 });
    expect(badJson.message).toMatch(/Attributes/);
    const huge = await restFailure(backend.conversations('taken').messages.create({ body: 'x', attributes: JSON.stringify({ pad: 'x'.repeat(20_000) }) }));
    expect(huge).toMatchObject({ status: 400, code: 20001 });
    const tooLong = await restFailure(backend.conversations('taken').update({ friendlyName: 'n'.repeat(300) }));
    expect(tooLong).toMatchObject({ status: 400, code: 20001 });
    expect(tooLong.message).toMatch(/FriendlyName/);
    expect(await restFailure(backend.conversations('taken').participants.create({ identity: 'bob', roleSid: 'RLnot-a-role' }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.conversations('taken').messages.list({ pageSize: 5000 }))).toMatchObject({ status: 400, code: 20001 });

    const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const unknownField = await fetch(`${server.httpUrl}/v1/Conversations/taken/Messages`, { method: 'POST', headers: auth, body: 'Body=hi&Colour=red' });
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toMatchObject({ code: 20001, status: 400, more_info: 'https://www.twilio.com/docs/errors/20001' });

    const first = await fetch(`${server.httpUrl}/v1/Conversations?PageSize=1`, { headers: auth });
    expect(first.status).toBe(200);
    await backend.conversations.create({ friendlyName: 'second' });
    await backend.conversations.create({ friendlyName: 'third' });
    const next = ((await (await fetch(`${server.httpUrl}/v1/Conversations?PageSize=1`, { headers: auth })).json()) as { meta: { next_page_url: string } }).meta.next_page_url;
    const token = new URL(next).searchParams.get('PageToken')!;
    const [body, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ createdAt: 0, sid: '' })).toString('base64url');
    for (const tampered of [`${forged}.${signature}`, `${body}.${signature!.slice(1)}x`, 'garbage']) {
      const answer = await fetch(`${server.httpUrl}/v1/Conversations?PageSize=1&Page=1&PageToken=${tampered}`, { headers: auth });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ code: 20001 });
    }
    // A token of one list is refused by another.
    const messagesWithIt = await fetch(`${server.httpUrl}/v1/Conversations/taken/Messages?Page=1&PageToken=${token}`, { headers: auth });
    expect(messagesWithIt.status).toBe(400);

    // Nothing above left a trace: one message-less conversation with alice, as before.
    const messages = await backend.conversations('taken').messages.list();
    expect(messages).toEqual([]);
    expect((await backend.conversations('taken').participants.list()).map((p) => p.identity)).toEqual(['alice']);
    expect((await backend.conversations(conversation.sid).fetch()).friendlyName).toBeNull();
    await alice.barrier();
    expect(alice.events().map((e) => e.kind)).toEqual(['conversationAdded', 'participantJoined']);
  });

  it('ADMIN-2: what the backend did while a user was offline is replayed when they resume', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const conversation = await backend.conversations.create({ friendlyName: 'Later' });
    await backend.conversations(conversation.sid).participants.create({ identity: 'carol' });
    const carol = await connect(server, 'carol', { lastSeq: 0 });
    await carol.waitForEvent('conversationAdded');
    const position = carol.lastSeq();
    await carol.close();

    await backend.conversations(conversation.sid).messages.create({ body: 'while you were away' });
    await backend.conversations(conversation.sid).participants.create({ identity: 'dave' });

    const back = await connect(server, 'carol', { lastSeq: position });
    expect(back.welcome.resume).toBe('resumed');
    await back.waitForEvent('participantJoined');
    expect(back.events().map((e) => e.kind)).toEqual(['messageAdded', 'participantJoined']);
    expect(back.events()[0]!.data).toMatchObject({ message: { author: 'system', body: 'while you were away' } });
  });

  it('ADMIN-1, ADMIN-2: users are created before they connect, found by sid or identity, updated live, and list their conversations', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const erin = await backend.users.create({ identity: 'erin', friendlyName: 'Erin', attributes: '{"team":"blue"}' });
    expect(erin.sid).toMatch(/^US/);
    expect(erin).toMatchObject({ identity: 'erin', friendlyName: 'Erin', isOnline: false, isNotifiable: false, chatServiceSid: SERVICE_SID });
    expect(await restFailure(backend.users.create({ identity: 'erin' }))).toMatchObject({ status: 409, code: 50201 });

    const socket = await connect(server, 'erin');
    expect(socket.welcome.user).toMatchObject({ identity: 'erin', friendlyName: 'Erin', attributes: { team: 'blue' } });
    expect((await backend.users('erin').fetch()).isOnline).toBe(true);
    expect((await backend.users(erin.sid).fetch()).identity).toBe('erin');

    const watcher = await connect(server, 'frank');
    await watcher.request('users.subscribe', { identities: ['erin'] });
    const renamed = await backend.users(erin.sid).update({ friendlyName: 'Erin B.' });
    expect(renamed.friendlyName).toBe('Erin B.');
    expect((await socket.waitForEvent('userUpdated')).data).toMatchObject({ user: { friendlyName: 'Erin B.' }, updateReasons: ['friendlyName'] });
    await watcher.waitFor((f) => f.type === 'sig' && f.kind === 'userUpdated' && (f.data as { user: { friendlyName: string } }).user.friendlyName === 'Erin B.');

    const first = await backend.conversations.create({ friendlyName: 'one' });
    const second = await backend.conversations.create({ friendlyName: 'two' });
    await backend.conversations(first.sid).participants.create({ identity: 'erin' });
    await backend.conversations(second.sid).participants.create({ identity: 'erin' });
    await backend.conversations(second.sid).messages.create({ body: 'unread' });
    const mine = await backend.users('erin').userConversations.list({ pageSize: 1 });
    expect(mine.map((c) => [c.friendlyName, c.unreadMessagesCount, c.userSid])).toEqual([
      ['one', 0, erin.sid],
      ['two', 1, erin.sid],
    ]);

    const muted = await backend.users('erin').userConversations(second.sid).update({ notificationLevel: 'muted', lastReadMessageIndex: 0 });
    expect(muted).toMatchObject({ notificationLevel: 'muted', lastReadMessageIndex: 0, unreadMessagesCount: 0, conversationSid: second.sid });
    await socket.waitForEvent('conversationUpdated', (e) => e.data.conversation.sid === second.sid && e.data.conversation.membership?.notificationLevel === 'muted');
    expect((await backend.users(erin.sid).userConversations(second.sid).fetch()).notificationLevel).toBe('muted');

    const memberships = await backend.participantConversations.list({ identity: 'erin', pageSize: 1 });
    expect(memberships.map((m) => [m.conversationFriendlyName, m.participantIdentity, m.participantUserSid])).toEqual([
      ['one', 'erin', erin.sid],
      ['two', 'erin', erin.sid],
    ]);
    expect(await backend.participantConversations.list({ identity: 'nobody' })).toEqual([]);

    const everyone = await backend.users.list({ pageSize: 1 });
    expect(everyone.map((u) => u.identity)).toEqual(['erin', 'frank']);
    expect(await restFailure(backend.users('nobody').fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await restFailure(backend.users('erin').remove())).toMatchObject({ status: 405, code: 20004 });

    // Leaving through the user's side of the membership.
    await backend.users('erin').userConversations(first.sid).remove();
    expect((await socket.waitForEvent('conversationRemoved', (e) => e.data.sid === first.sid)).data.reason).toBe('removed');
    expect(await restFailure(backend.users('erin').userConversations(first.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('ADMIN-1: a write retried with the same I-Twilio-Idempotency-Token happens once; the token with other arguments is refused', async () => {
    const server = await startRest();
    const alice = await connect(server, 'alice');
    const backend = twilioClientFor(server).conversations.v1;
    const conversation = await backend.conversations.create({ friendlyName: 'once' });
    await backend.conversations(conversation.sid).participants.create({ identity: 'alice' });
    await alice.waitForEvent('participantJoined');
    const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const post = (body: string) =>
      fetch(`${server.httpUrl}/v1/Conversations/${conversation.sid}/Messages`, { method: 'POST', headers: { ...auth, 'i-twilio-idempotency-token': 'retry-1' }, body });
    const first = await post('Body=only%20once');
    const again = await post('Body=only%20once');
    expect([first.status, again.status]).toEqual([201, 201]);
    const [a, b] = [(await first.json()) as { sid: string }, (await again.json()) as { sid: string }];
    expect(b.sid).toBe(a.sid);
    const conflict = await post('Body=something%20else');
    expect(conflict.status).toBe(409);
    expect((await backend.conversations(conversation.sid).messages.list()).map((m) => m.body)).toEqual(['only once']);
    await alice.barrier();
    expect(alice.events().filter((e) => e.kind === 'messageAdded')).toHaveLength(1);
  });

  it('ADMIN-1: the service and its roles can be read through either path, and a participant added through REST shows the role it was given', async () => {
    const server = await startRest();
    const api = twilioClientFor(server).conversations.v1;
    expect(await api.services(SERVICE_SID).fetch()).toMatchObject({ sid: SERVICE_SID, accountSid: ACCOUNT_SID });
    expect((await api.services.list()).map((s) => s.sid)).toEqual([SERVICE_SID]);
    const roles = await api.roles.list();
    const admin = await api.services(SERVICE_SID).roles(roles[1]!.sid).fetch();
    expect(admin).toMatchObject({ friendlyName: 'channel admin', type: 'conversation', chatServiceSid: SERVICE_SID });
    expect(admin.permissions).toEqual(expect.arrayContaining(['addParticipant', 'removeParticipant', 'deleteAnyMessage']));
    const conversation = await api.conversations.create({});
    const added = await api.conversations(conversation.sid).participants.create({ identity: 'ann', roleSid: admin.sid });
    expect(added.roleSid).toBe(admin.sid);
    const plain = await api.conversations(conversation.sid).participants.create({ identity: 'bea' });
    expect(plain.roleSid).toBe(roles[0]!.sid);
    expect(await restFailure(api.roles('RLnothing').fetch())).toMatchObject({ status: 404, code: 20404 });
  });
});
