import { AUTH_SUBPROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL, type Conversation, type Message, type Signals } from '@rx-conversations/protocol';
import { TestClient } from '../../server/test/helpers/TestClient.js';
import { settle } from '../test/support/settle.js';
import { FakeServer } from './FakeServer.js';
import { FakeServerError } from './FakeServerError.js';
import type { FakeWebSocket } from './FakeWebSocket.js';
import { encodeBase64url } from './internal/base64url.js';

/** A raw client of `fake` whose socket is opening: no hello yet. */
function rawOpen(fake: FakeServer, token: string, protocols = [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token]): TestClient<FakeWebSocket> {
  return TestClient.open(fake.url, protocols, { WebSocket: fake.WebSocket });
}

/** A raw client of `fake` for `identity`, welcomed (resuming after `lastSeq` if given). */
function rawConnect(fake: FakeServer, identity: string, lastSeq?: number): Promise<TestClient<FakeWebSocket>> {
  return TestClient.connect(fake.url, fake.tokenFor(identity), { lastSeq, WebSocket: fake.WebSocket });
}

/** A fake with alice (admin) and bob in "General", and carol outside it. */
function twoPeople(): { fake: FakeServer; sid: string } {
  const fake = new FakeServer();
  const [general] = fake.seed({ users: ['carol'], conversations: [{ friendlyName: 'General', participants: ['alice', 'bob'] }] });
  return { fake, sid: general!.sid };
}

describe('FakeServer: handshake and authentication', () => {
  it('SRV-2: accepts a token in the subprotocol, selects rxc.v1 and welcomes a fresh session', async () => {
    const fake = new FakeServer();
    const raw = await rawConnect(fake, 'alice');
    expect(raw.socket.protocol).toBe('rxc.v1');
    expect(raw.socketEvents).toEqual(['open']);
    expect(raw.welcome).toMatchObject({ v: PROTOCOL_VERSION, identity: 'alice', resume: 'fresh', headSeq: 0, heartbeatIntervalMs: 4000, user: { identity: 'alice', isOnline: true } });
    expect(raw.welcome!.connectionId).toBe(fake.connections[0]!.id);
    expect(fake.connections[0]).toMatchObject({ identity: 'alice', status: 'open', resume: 'fresh', hello: { v: 2 } });
  });

  it('SRV-2: reads the identity of a real-looking JWT without checking its signature', async () => {
    const fake = new FakeServer();
    const payload = encodeBase64url(JSON.stringify({ grants: { identity: 'zoë' }, exp: 4102444800 }));
    const raw = rawOpen(fake, `eyJhbGciOiJIUzI1NiJ9.${payload}.c2ln`);
    await settle();
    raw.send({ type: 'hello', v: 2 });
    await settle();
    expect(raw.welcome?.identity).toBe('zoë');
  });

  it.each([
    ['a token with no identity', (fake: FakeServer) => rawOpen(fake, 'a.e30.b'), 'token_identity_missing'],
    ['garbage', (fake: FakeServer) => rawOpen(fake, 'garbage'), 'token_malformed'],
    ['an expired token', (fake: FakeServer) => rawOpen(fake, fake.tokenFor('alice', { ttlSeconds: -10 })), 'token_expired'],
  ])('SRV-2: refuses %s before open (error, close 1006) and /v1/auth says why', async (_name, open, code) => {
    const fake = new FakeServer();
    const raw = open(fake);
    await settle();
    expect(raw.socketEvents).toEqual(['error', 'close']);
    expect(raw.closeEvent).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(fake.connections).toHaveLength(0);
    const token = raw.socket.protocols[1]!.slice('rxc.auth.'.length);
    const response = await fake.fetch(`${fake.httpUrl}/v1/auth`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-rxc-error')).toBe(code);
    expect(await response.json()).toEqual({ code });
  });

  it('SRV-2: rejectTokens refuses handshakes and auth checks until acceptTokens', async () => {
    const fake = new FakeServer();
    fake.rejectTokens('token_signature_invalid');
    const refused = rawOpen(fake, fake.tokenFor('alice'));
    await settle();
    expect(refused.closeEvent?.code).toBe(1006);
    const denied = await fake.fetch(`${fake.httpUrl}/v1/auth`, { headers: { Authorization: `Bearer ${fake.tokenFor('alice')}` } });
    expect(await denied.json()).toEqual({ code: 'token_signature_invalid' });
    fake.acceptTokens();
    const ok = await fake.fetch(new URL('/v1/auth', fake.httpUrl), { headers: [['authorization', `Bearer ${fake.tokenFor('alice')}`]] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ identity: 'alice' });
    await expect(fake.fetch('http://elsewhere.test/v1/auth')).rejects.toThrow(TypeError);
  });

  it('SRV-2: refuses a socket that does not offer rxc.v1', async () => {
    const fake = new FakeServer();
    const raw = rawOpen(fake, '', ['rxc.auth.' + fake.tokenFor('alice')]);
    await settle();
    expect(raw.socketEvents).toEqual(['error', 'close']);
  });

  it('SRV-6: answers frames before hello with handshake_required and a second hello with handshake_repeated', async () => {
    const fake = new FakeServer();
    const raw = rawOpen(fake, fake.tokenFor('alice'));
    await settle();
    raw.send({ type: 'req', id: 1, op: 'users.get', args: { identity: 'alice' } });
    raw.send({ type: 'ping' });
    await settle();
    expect(raw.frames).toEqual([
      { type: 'res', id: 1, ok: false, error: expect.objectContaining({ code: 'handshake_required' }) },
      { type: 'res', id: null, ok: false, error: expect.objectContaining({ code: 'handshake_required' }) },
    ]);
    raw.send({ type: 'hello', v: 2 });
    raw.send({ type: 'hello', v: 2 });
    await settle();
    expect(raw.frames.slice(2).map((f) => (f.type === 'res' && !f.ok ? f.error.code : f.type))).toEqual(['welcome', 'handshake_repeated']);
  });

  it('SRV-6: an unsupported protocol version is refused and the socket closed with 4000', async () => {
    const fake = new FakeServer();
    const raw = rawOpen(fake, fake.tokenFor('alice'));
    await settle();
    raw.send({ type: 'hello', v: 99 });
    await settle();
    expect(raw.frames).toEqual([{ type: 'res', id: null, ok: false, error: expect.objectContaining({ code: 'protocol_version_unsupported' }) }]);
    expect(raw.closeEvent).toEqual({ code: 4000, reason: 'protocol_version_unsupported', wasClean: true });
  });
});

describe('FakeServer: requests', () => {
  it('SRV-6: rejects malformed frames, unknown ops, bad arguments and non-increasing ids with precise codes', async () => {
    const fake = new FakeServer();
    const raw = await rawConnect(fake, 'alice');
    raw.clear();
    raw.send('{nope');
    raw.send({ type: 'req', id: 5, op: 'messages.nuke', args: {} });
    raw.send({ type: 'req', id: 6, op: 'users.get', args: { identity: 42 } });
    raw.send({ type: 'req', id: 6, op: 'users.get', args: { identity: 'alice' } });
    raw.send({ type: 'req', id: 6, op: 'messages.nuke', args: {} });
    raw.send({ type: 'req', id: 7, op: 'users.get', args: { identity: 'alice' } });
    await settle();
    expect(raw.frames.map((f) => (f.type === 'res' ? [f.id, f.ok ? 'ok' : f.error.code] : f.type))).toEqual([
      [null, 'frame_malformed'],
      [5, 'op_unknown'],
      [6, 'invalid_argument'],
      [6, 'request_id_invalid'],
      [6, 'request_id_invalid'],
      [7, 'ok'],
    ]);
    expect(fake.requests.map((r) => [r.id, r.op])).toEqual([[7, 'users.get']]);
  });

  it('SRV-3: answers ping with pong and the server time', async () => {
    const fake = new FakeServer();
    const raw = await rawConnect(fake, 'alice');
    raw.clear();
    raw.send({ type: 'ping' });
    await settle();
    expect(raw.frames).toEqual([{ type: 'pong', serverTime: expect.any(Number) }]);
  });

  it('STORE-6: a write\'s events reach the caller before its reply, in one batch', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    alice.clear();
    const reply = await alice.requestFrame('messages.send', { sid, body: 'hi', idempotencyKey: 'key-00000001' });
    expect(alice.frames.map((f) => f.type)).toEqual(['ev', 'res']);
    expect(alice.messages).toHaveLength(1);
    expect(JSON.parse(alice.messages[0]!)).toHaveLength(2);
    expect(reply).toMatchObject({ ok: true, result: { index: 0, author: 'alice', body: 'hi', idempotencyKey: 'key-00000001', version: 1 } });
    expect(alice.events('messageAdded')[0]!.data.message).toEqual((reply as { result: Message }).result);
  });

  it('PERF-2: with batch: false every frame is its own websocket message', async () => {
    const fake = new FakeServer({ batch: false });
    const [c] = fake.seed({ conversations: [{ participants: ['alice'] }] });
    const alice = await rawConnect(fake, 'alice');
    alice.clear();
    await alice.requestFrame('messages.send', { sid: c!.sid, body: 'hi', idempotencyKey: 'key-00000001' });
    expect(alice.messages.map((m) => JSON.parse(m).type)).toEqual(['ev', 'res']);
  });

  it('CONN-5: events carry increasing log positions, each naming the previous event of its stream', async () => {
    const { fake, sid } = twoPeople();
    const bob = await rawConnect(fake, 'bob');
    const head = bob.welcome!.headSeq;
    await fake.as('alice').send(sid, 'one');
    await fake.as('alice').updateConversation(sid, { friendlyName: 'Renamed' });
    await fake.as('alice').send(sid, 'two');
    await fake.as('bob').setNotificationLevel(sid, 'muted');
    await settle();
    const evs = bob.events();
    expect(evs.map((e) => [e.kind, e.stream])).toEqual([
      ['messageAdded', sid],
      ['conversationUpdated', sid],
      ['messageAdded', sid],
      ['conversationUpdated', undefined], // bob's own setting: his user stream
    ]);
    expect(evs[0]!.seq).toBeGreaterThan(head);
    expect(evs.slice(1, 3).map((e) => e.prev)).toEqual(evs.slice(0, 2).map((e) => e.seq));
    expect(fake.state.events('bob').slice(-4)).toEqual(evs);
  });

  it('SRV-5: repeating a write with the same idempotency key returns the first result with no second effect', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    const first = await alice.request('messages.send', { sid, body: 'hi', idempotencyKey: 'key-00000001' });
    const again = await alice.request('messages.send', { sid, body: 'hi', idempotencyKey: 'key-00000001' });
    expect(again).toEqual(first);
    expect(alice.events('messageAdded')).toHaveLength(1);
    expect(fake.state.messages(sid)).toHaveLength(1);
    expect((await alice.requestError('messages.send', { sid, body: 'changed', idempotencyKey: 'key-00000001' })).code).toBe('idempotency_key_conflict');
  });

  it('SRV-5: the same key is independent per user', async () => {
    const { fake, sid } = twoPeople();
    await fake.as('alice').send(sid, 'from alice', 'shared-key-1');
    await fake.as('bob').send(sid, 'from bob', 'shared-key-1');
    expect(fake.state.messages(sid).map((m) => m.body)).toEqual(['from alice', 'from bob']);
  });
});

describe('FakeServer: conversations, participants and messages', () => {
  it('SRV-3: create emits conversationAdded to the creator only; add emits conversationAdded to the newcomer and participantJoined to all', async () => {
    const fake = new FakeServer();
    const alice = await rawConnect(fake, 'alice');
    const bob = await rawConnect(fake, 'bob');
    const created = await alice.request('conversations.create', { friendlyName: 'Plans', uniqueName: 'plans' });
    expect(created).toMatchObject({ friendlyName: 'Plans', uniqueName: 'plans', createdBy: 'alice', participantsCount: 1, membership: { role: 'admin', unreadMessagesCount: 0 } });
    expect(alice.events().map((e) => e.kind)).toEqual(['conversationAdded']);
    expect(bob.events()).toEqual([]);
    const participant = await alice.request('participants.add', { sid: created.sid, identity: 'bob' });
    expect(participant).toMatchObject({ identity: 'bob', role: 'member', lastReadMessageIndex: null });
    expect(alice.events().map((e) => e.kind)).toEqual(['conversationAdded', 'participantJoined']);
    expect(bob.events().map((e) => e.kind)).toEqual(['conversationAdded', 'participantJoined']);
    expect(bob.events('conversationAdded')[0]!.data.conversation).toMatchObject({ sid: created.sid, participantsCount: 2, membership: { role: 'member' } });
    expect((await bob.requestError('conversations.create', { uniqueName: 'plans' })).code).toBe('unique_name_taken');
  });

  it('SRV-3: messageAdded is not followed by conversationUpdated, and unread counts only others\' messages above the horizon', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    alice.clear();
    await fake.as('bob').send(sid, 'one');
    await fake.as('bob').send(sid, 'two');
    await fake.as('alice').send(sid, 'mine');
    await settle();
    expect(alice.events().map((e) => e.kind)).toEqual(['messageAdded', 'messageAdded', 'messageAdded']);
    expect(await alice.request('conversations.counts', { sid })).toEqual({ messagesCount: 3, participantsCount: 2, unreadMessagesCount: 2 });
    expect(fake.state.conversation(sid, 'alice')).toMatchObject({ lastMessageIndex: 2, messagesCount: 3, membership: { unreadMessagesCount: 2 } });
    expect(fake.state.conversation(sid, 'bob')?.membership?.unreadMessagesCount).toBe(1);
  });

  it('STORE-9: setLastRead emits conversationUpdated to the caller, then participantUpdated to all; advance never goes back', async () => {
    const { fake, sid } = twoPeople();
    for (const body of ['a', 'b', 'c']) await fake.as('bob').send(sid, body);
    const alice = await rawConnect(fake, 'alice');
    const bob = await rawConnect(fake, 'bob');
    const read = await alice.request('conversations.setLastRead', { sid, index: 1, mode: 'advance' });
    expect(read.membership).toMatchObject({ lastReadMessageIndex: 1, unreadMessagesCount: 1 });
    expect(alice.events().map((e) => e.kind)).toEqual(['conversationUpdated', 'participantUpdated']);
    expect(alice.events('conversationUpdated')[0]!.data.updateReasons).toEqual(['lastReadMessageIndex']);
    expect(bob.events().map((e) => e.kind)).toEqual(['participantUpdated']);
    expect(bob.events('participantUpdated')[0]!.data.participant).toMatchObject({ identity: 'alice', lastReadMessageIndex: 1 });
    const back = await alice.request('conversations.setLastRead', { sid, index: 0, mode: 'advance' });
    expect(back.membership?.lastReadMessageIndex).toBe(1);
    expect(alice.events()).toHaveLength(2);
    const clamped = await alice.request('conversations.setLastRead', { sid, index: 99, mode: 'set' });
    expect(clamped.membership).toMatchObject({ lastReadMessageIndex: 2, unreadMessagesCount: 0 });
    const unread = await alice.request('conversations.setLastRead', { sid, index: null, mode: 'set' });
    expect(unread.membership).toMatchObject({ lastReadMessageIndex: null, unreadMessagesCount: 3 });
  });

  it('SRV-3, ADMIN-4: only participants read or write; only admins manage; members edit only their own messages', async () => {
    const { fake, sid } = twoPeople();
    const carol = await rawConnect(fake, 'carol');
    const bob = await rawConnect(fake, 'bob');
    const alice = await rawConnect(fake, 'alice');
    expect((await carol.requestError('conversations.get', { sid })).code).toBe('not_a_participant');
    expect((await carol.requestError('messages.send', { sid, body: 'x', idempotencyKey: 'key-00000001' })).code).toBe('not_a_participant');
    expect((await carol.requestError('messages.list', { sid })).code).toBe('not_a_participant');
    expect((await carol.requestError('conversations.peek', { sid })).code).toBe('not_a_participant');
    expect((await bob.requestError('conversations.update', { sid, friendlyName: 'mine now' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'editConversationName' } });
    expect((await bob.requestError('participants.add', { sid, identity: 'carol' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'addParticipant' } });
    expect((await bob.requestError('conversations.delete', { sid }))).toMatchObject({ code: 'permission_denied', details: { permission: 'deleteConversation' } });
    expect((await alice.requestError('participants.add', { sid, identity: 'bob' })).code).toBe('participant_exists');
    expect((await alice.requestError('conversations.get', { sid: 'CHnope' })).code).toBe('conversation_not_found');
    expect((await alice.requestError('users.get', { identity: 'nobody' })).code).toBe('user_not_found');
    await fake.as('alice').send(sid, 'by alice');
    expect((await bob.requestError('messages.update', { sid, index: 0, body: 'edited' }))).toMatchObject({ code: 'permission_denied', details: { permission: 'editAnyMessage' } });
    expect((await bob.requestError('messages.remove', { sid, index: 0 }))).toMatchObject({ code: 'permission_denied', details: { permission: 'deleteAnyMessage' } });
    expect((await bob.requestError('messages.remove', { sid, index: 7 })).code).toBe('message_not_found');
    await fake.as('bob').send(sid, 'by bob');
    expect(await alice.request('messages.remove', { sid, index: 1 })).toEqual({ index: 1 });
    expect(fake.state.messages(sid).map((m) => m.body)).toEqual(['by alice']);
  });

  it('STORE-5: update and remove bump versions; removal keeps a tombstone and the index is never reused', async () => {
    const { fake, sid } = twoPeople();
    const bob = await rawConnect(fake, 'bob');
    await fake.as('alice').send(sid, 'first');
    await fake.as('alice').updateMessage(sid, 0, 'first, edited');
    await fake.as('alice').removeMessage(sid, 0);
    await fake.as('alice').send(sid, 'second');
    await settle();
    expect(bob.events().map((e) => e.kind)).toEqual(['messageAdded', 'messageUpdated', 'messageRemoved', 'messageAdded']);
    expect(bob.events('messageUpdated')[0]!.data).toMatchObject({ message: { body: 'first, edited', version: 2 }, updateReasons: ['body', 'lastUpdatedBy', 'dateUpdated'] });
    expect(bob.events('messageRemoved')[0]!.data).toMatchObject({ conversationSid: sid, index: 0, version: 3 });
    expect(bob.events('messageAdded')[1]!.data.message.index).toBe(1);
    expect(fake.state.messages(sid, { includeRemoved: true }).map((m) => m.index)).toEqual([0, 1]);
    expect(fake.state.conversation(sid, 'bob')).toMatchObject({ messagesCount: 1, lastMessageIndex: 1 });
  });

  it('STORE-5: messages.list pages backwards from the newest and forwards from the oldest, anchor exclusive', async () => {
    const { fake, sid } = twoPeople();
    for (let i = 0; i < 7; i += 1) await fake.as('bob').send(sid, `m${i}`);
    await fake.as('bob').removeMessage(sid, 3);
    const alice = await rawConnect(fake, 'alice');
    const indexes = (page: { items: readonly Message[] }) => page.items.map((m) => m.index);
    const newest = await alice.request('messages.list', { sid, pageSize: 3 });
    expect([indexes(newest), newest.hasMore, newest.asOfSeq]).toEqual([[4, 5, 6], true, fake.state.headSeq()]);
    const older = await alice.request('messages.list', { sid, pageSize: 3, anchor: 4 });
    expect([indexes(older), older.hasMore]).toEqual([[0, 1, 2], false]);
    const oldest = await alice.request('messages.list', { sid, pageSize: 2, direction: 'forwards' });
    expect([indexes(oldest), oldest.hasMore]).toEqual([[0, 1], true]);
    const newer = await alice.request('messages.list', { sid, pageSize: 5, anchor: 2, direction: 'forwards' });
    expect([indexes(newer), newer.hasMore]).toEqual([[4, 5, 6], false]);
  });

  it('STORE-2: conversations.list pages by cursor in joining order, with asOfSeq', async () => {
    const fake = new FakeServer();
    const seeded = fake.seed({ conversations: [1, 2, 3].map((n) => ({ friendlyName: `c${n}`, participants: ['alice'] })) });
    await fake.as('alice').send(seeded[2]!.sid, 'activity does not reorder pages');
    const alice = await rawConnect(fake, 'alice');
    expect((await alice.requestError('conversations.list', { cursor: 'bogus' })).code).toBe('invalid_argument');
    const first = await alice.request('conversations.list', { pageSize: 2 });
    expect(first.items.map((c) => c.friendlyName)).toEqual(['c1', 'c2']);
    expect(first.asOfSeq).toBe(fake.state.headSeq());
    const second = await alice.request('conversations.list', { pageSize: 2, cursor: first.nextCursor! });
    expect([second.items.map((c) => c.friendlyName), second.nextCursor]).toEqual([['c3'], null]);
  });

  it('SRV-3: removing yourself is leaving; a role change also tells the target conversationUpdated', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    const bob = await rawConnect(fake, 'bob');
    expect(await alice.requestFrame('participants.add', { sid, identity: 'bob' })).toMatchObject({ ok: false, error: { code: 'participant_exists', details: { path: 'args.identity' } } });
    expect(await alice.request('participants.update', { sid, identity: 'bob', role: 'admin' })).toMatchObject({ role: 'admin', version: 2 });
    expect(bob.events().map((e) => e.kind)).toEqual(['participantUpdated', 'conversationUpdated']);
    expect(bob.events('conversationUpdated')[0]!.data).toMatchObject({ updateReasons: ['role'], conversation: { membership: { role: 'admin' } } });
    expect(alice.events().map((e) => e.kind)).toEqual(['participantUpdated']);
    await bob.request('participants.remove', { sid, identity: 'bob' });
    expect(bob.events('conversationRemoved').map((e) => e.data.reason)).toEqual(['left']);
  });

  it('STORE-2: a snapshot\'s version grows with every change any member\'s snapshot shows, and only then', async () => {
    const { fake, sid } = twoPeople();
    await fake.as('bob').send(sid, 'hi');
    const version = (identity: string) => fake.state.conversation(sid, identity)!.version;
    const [alice, bob] = [version('alice'), version('bob')];
    await fake.as('alice').read(sid);
    await fake.as('alice').setNotificationLevel(sid, 'muted');
    await fake.as('bob').updateMessage(sid, 0, 'hi!');
    expect([version('alice') - alice, version('bob') - bob]).toEqual([2, 2]);
    expect(fake.state.participants(sid).find((p) => p.identity === 'alice')?.version).toBe(3);
    await fake.as('bob').removeMessage(sid, 0);
    expect([version('alice') - alice, version('bob') - bob]).toEqual([3, 3]);
    expect(fake.state.messages(sid, { includeRemoved: true })[0]).toMatchObject({ body: null, attributes: {}, version: 3 });
  });

  it('SRV-3: leave tells the leaver conversationRemoved and the rest participantLeft; delete tells everyone', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    const bob = await rawConnect(fake, 'bob');
    await bob.request('conversations.leave', { sid });
    expect(bob.events().map((e) => [e.kind, 'reason' in e.data ? e.data.reason : null])).toEqual([['conversationRemoved', 'left']]);
    expect(alice.events('participantLeft').map((e) => e.data.identity)).toEqual(['bob']);
    await bob.request('conversations.join', { sid });
    const before = bob.events().length;
    expect(await bob.request('conversations.join', { sid })).toMatchObject({ sid, membership: { role: 'member' } });
    expect(bob.events()).toHaveLength(before); // joining again changes nothing
    await alice.request('conversations.delete', { sid });
    expect(bob.events('conversationRemoved').map((e) => e.data.reason)).toEqual(['left', 'deleted']);
    expect(alice.events('conversationRemoved').map((e) => e.data.reason)).toEqual(['deleted']);
    expect(fake.state.conversation(sid)).toBeUndefined();
  });
});

describe('FakeServer: resume (CONN-5)', () => {
  async function missedWhileAway(lastSeqShift = 0): Promise<{ fake: FakeServer; sid: string; back: TestClient<FakeWebSocket>; lastSeq: number }> {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    await fake.as('bob').send(sid, 'seen');
    await settle();
    const lastSeq = alice.events().at(-1)!.seq;
    alice.socket.close(1000);
    await settle();
    await fake.as('bob').send(sid, 'missed 1');
    await fake.as('bob').send(sid, 'missed 2');
    const back = await rawConnect(fake, 'alice', lastSeq + lastSeqShift);
    return { fake, sid, back, lastSeq };
  }

  it('CONN-5: replays exactly the missed events, in order, right after a resumed welcome, then live ones', async () => {
    const { fake, sid, back, lastSeq } = await missedWhileAway();
    expect(back.welcome).toMatchObject({ resume: 'resumed', headSeq: lastSeq + 2 });
    expect(back.frames.map((f) => f.type)).toEqual(['welcome', 'ev', 'ev']);
    expect(back.events('messageAdded').map((e) => [e.seq, e.data.message.body])).toEqual([
      [lastSeq + 1, 'missed 1'],
      [lastSeq + 2, 'missed 2'],
    ]);
    await fake.as('bob').send(sid, 'live');
    await settle();
    expect(back.events().map((e) => e.seq)).toEqual([lastSeq + 1, lastSeq + 2, lastSeq + 3]);
  });

  it('CONN-5: a lastSeq ahead of the log gets resume_sequence_invalid, then a resync welcome', async () => {
    const { back } = await missedWhileAway(100);
    expect(back.frames.map((f) => (f.type === 'res' && !f.ok ? f.error.code : f.type))).toEqual(['resume_sequence_invalid', 'welcome']);
    expect(back.welcome?.resume).toBe('resync');
  });

  it('SRV-4: resuming from before the retained events gets resync and no replay', async () => {
    const { fake, sid } = twoPeople();
    await fake.as('bob').send(sid, 'old');
    fake.trimLog('alice', 0);
    const back = await rawConnect(fake, 'alice', 1);
    expect(back.welcome).toMatchObject({ resume: 'resync', headSeq: fake.state.headSeq() });
    expect(back.events()).toEqual([]);
  });

  it('SRV-4: maxEvents bounds the log', async () => {
    const fake = new FakeServer({ maxEvents: 2 });
    const [c] = fake.seed({ conversations: [{ participants: ['alice'], messages: [1, 2, 3, 4].map((n) => ({ author: 'alice', body: `${n}` })) }] });
    // conversationAdded (1) and four messageAdded (2…5): only the newest two are kept
    expect(fake.state.events('alice').map((e) => e.seq)).toEqual([4, 5]);
    expect(c!.messagesCount).toBe(4);
    expect((await rawConnect(fake, 'alice', 2)).welcome?.resume).toBe('resync');
    expect((await rawConnect(fake, 'alice', 3)).welcome?.resume).toBe('resumed');
  });
});

describe('FakeServer: signals and users', () => {
  it('STORE-9: typing reaches the other participants\' open connections, is not logged and not replayed', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    const bob = await rawConnect(fake, 'bob');
    const carol = await rawConnect(fake, 'carol');
    await alice.request('conversations.typing', { sid });
    await settle();
    expect(bob.frames.filter((f) => f.type === 'sig')).toEqual([{ type: 'sig', kind: 'typing', data: { conversationSid: sid, identity: 'alice' } }]);
    expect(alice.frames.filter((f) => f.type === 'sig')).toEqual([]);
    expect(carol.frames.filter((f) => f.type === 'sig')).toEqual([]);
    expect(fake.state.events('bob').every((e) => e.type === 'ev')).toBe(true);
  });

  it('STORE-10: updateMe is durable for the user and a signal for watchers; reachability is signalled', async () => {
    const fake = new FakeServer();
    fake.seed({ users: [{ identity: 'bob', friendlyName: 'Bob' }] });
    const alice = await rawConnect(fake, 'alice');
    const watched = await alice.request('users.subscribe', { identities: ['bob', 'ghost'] });
    expect(watched.items.map((u) => [u.identity, u.friendlyName, u.isOnline])).toEqual([['bob', 'Bob', false]]);
    const bob = await rawConnect(fake, 'bob');
    await bob.request('users.updateMe', { friendlyName: 'Robert' });
    bob.socket.close(1000);
    await settle();
    const sigs = alice.frames.flatMap((f) => (f.type === 'sig' && f.kind === 'userUpdated' ? [f.data as Signals['userUpdated']] : []));
    expect(sigs.map((d) => [d.updateReasons, d.user.isOnline, d.user.friendlyName])).toEqual([
      [['isOnline'], true, 'Bob'],
      [['friendlyName'], true, 'Robert'],
      [['isOnline'], false, 'Robert'],
    ]);
    expect(bob.events('userUpdated').map((e) => e.data.updateReasons)).toEqual([['friendlyName']]);
    expect(alice.events()).toEqual([]);
  });

  it('STORE-11: push registrations are recorded and new messages for offline users become deliveries', async () => {
    const { fake, sid } = twoPeople();
    const bob = await rawConnect(fake, 'bob');
    expect(await bob.request('push.register', { type: 'fcm', token: 'device-1' })).toEqual({ registeredAt: expect.any(Number) });
    expect(fake.state.user('bob')?.isNotifiable).toBe(true);
    await fake.as('alice').send(sid, 'while online');
    bob.socket.close(1000);
    await settle();
    await fake.as('alice').send(sid, 'while offline');
    expect(fake.state.pushDeliveries()).toEqual([
      { identity: 'bob', type: 'fcm', token: 'device-1', payload: expect.objectContaining({ kind: 'newMessage', conversationSid: sid, body: 'while offline', author: 'alice' }) },
    ]);
  });

  it('CONN-7: token.update swaps the token for the same identity only', async () => {
    const fake = new FakeServer();
    const alice = await rawConnect(fake, 'alice');
    const token = fake.tokenFor('alice', { ttlSeconds: 3600 });
    expect(await alice.request('token.update', { token })).toEqual({ expiresAt: (Math.floor(fake.now() / 1000) + 3600) * 1000 });
    expect((await alice.requestError('token.update', { token: fake.tokenFor('bob') })).code).toBe('token_identity_mismatch');
    fake.rejectTokens('token_key_unknown');
    expect((await alice.requestError('token.update', { token })).code).toBe('token_key_unknown');
  });

  it('CONN-7: a token inside the notice lead gets tokenAboutToExpire right after the welcome', async () => {
    const fake = new FakeServer();
    const raw = rawOpen(fake, fake.tokenFor('alice', { ttlSeconds: 60 }));
    await settle();
    raw.send({ type: 'hello', v: 2 });
    await settle();
    expect(raw.frames.map((f) => f.type)).toEqual(['welcome', 'notice']);
  });
});

describe('FakeServer: fault injection', () => {
  it('CONN-3: dropConnections closes abruptly with 1006 and loses undelivered frames', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    alice.clear();
    void fake.as('bob').send(sid, 'in flight');
    fake.dropConnections();
    await settle();
    expect(alice.frames).toEqual([]);
    expect(alice.closeEvent).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(fake.connections[0]).toMatchObject({ status: 'closed', closed: { code: 1006, by: 'server' } });
    expect(fake.state.user('alice')?.isOnline).toBe(false);
  });

  it('CONN-7: expireToken closes with 4001 after pending frames and refuses that token afterwards', async () => {
    const { fake, sid } = twoPeople();
    const token = fake.tokenFor('alice');
    const alice = rawOpen(fake, token);
    await settle();
    alice.send({ type: 'hello', v: 2 });
    await settle();
    void fake.as('bob').send(sid, 'last words');
    fake.expireToken('alice');
    await settle();
    expect(alice.events('messageAdded')).toHaveLength(1);
    expect(alice.closeEvent).toEqual({ code: 4001, reason: 'token_expired', wasClean: true });
    const again = rawOpen(fake, token);
    await settle();
    expect(again.socketEvents).toEqual(['error', 'close']);
    const check = await fake.fetch(`${fake.httpUrl}/v1/auth`, { headers: { authorization: `Bearer ${token}` } });
    expect(await check.json()).toEqual({ code: 'token_expired' });
  });

  it('SRV-5: failNext answers the next request of an op with the code and no effect, then recovers', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    fake.failNext('messages.send', 'rate_limited', { details: { retryAfterMs: 500 } });
    const failed = await alice.requestFrame('messages.send', { sid, body: 'hi', idempotencyKey: 'key-00000001' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { retryAfterMs: 500 } } });
    expect(fake.state.messages(sid)).toEqual([]);
    expect(await alice.request('messages.send', { sid, body: 'hi', idempotencyKey: 'key-00000001' })).toMatchObject({ index: 0 });
    expect(fake.requests.filter((r) => r.op === 'messages.send')).toHaveLength(2);
  });

  it('CONN-4: pause holds outbound frames and resume delivers them in order', async () => {
    const { fake, sid } = twoPeople();
    const alice = await rawConnect(fake, 'alice');
    alice.clear();
    fake.pause();
    alice.send({ type: 'ping' });
    await settle();
    await fake.as('bob').send(sid, 'held');
    await settle();
    expect(alice.frames).toEqual([]);
    fake.resume();
    await settle();
    expect(alice.frames.map((f) => f.type)).toEqual(['pong', 'ev']);
  });

  it('CONN-3: goOffline drops connections and refuses new ones and fetch until goOnline', async () => {
    const fake = new FakeServer();
    const alice = await rawConnect(fake, 'alice');
    fake.goOffline();
    await settle();
    expect(alice.closeEvent?.code).toBe(1006);
    const refused = rawOpen(fake, fake.tokenFor('alice'));
    await settle();
    expect(refused.socketEvents).toEqual(['error', 'close']);
    await expect(fake.fetch(`${fake.httpUrl}/v1/auth`)).rejects.toThrow('Failed to fetch');
    fake.goOnline();
    expect((await rawConnect(fake, 'alice')).welcome?.resume).toBe('fresh');
  });

  it('SRV-1: close shuts every connection with 1001', async () => {
    const fake = new FakeServer();
    const alice = await rawConnect(fake, 'alice');
    fake.close();
    await settle();
    expect(alice.closeEvent).toEqual({ code: 1001, reason: 'server_shutting_down', wasClean: true });
  });

  it('nextRequest resolves with the next request of an op', async () => {
    const fake = new FakeServer();
    const alice = await rawConnect(fake, 'alice');
    const next = fake.nextRequest('users.get');
    await alice.request('users.updateMe', { friendlyName: 'A' });
    await alice.request('users.get', { identity: 'alice' });
    expect(await next).toMatchObject({ op: 'users.get', identity: 'alice', args: { identity: 'alice' } });
  });
});

describe('FakeServer: actors and seeding', () => {
  it('actors are validated and authorised like clients and reject with FakeServerError', async () => {
    const { fake, sid } = twoPeople();
    await expect(fake.as('carol').send(sid, 'let me in')).rejects.toMatchObject({ name: 'FakeServerError', code: 'not_a_participant' });
    await expect(fake.as('bob').send(sid, 'x'.repeat(40_000))).rejects.toMatchObject({ code: 'string_too_long', details: { path: 'args.body' } });
    await expect(fake.as('bob').request('conversations.get', { sid: 'CH404' })).rejects.toBeInstanceOf(FakeServerError);
    const before = fake.state.headSeq();
    await expect(fake.as('bob').deleteConversation(sid)).rejects.toMatchObject({ code: 'permission_denied' });
    expect(fake.state.headSeq()).toBe(before);
  });

  it('an actor\'s effect is applied synchronously, before its promise settles', () => {
    const { fake, sid } = twoPeople();
    void fake.as('bob').send(sid, 'now');
    expect(fake.state.messages(sid).map((m) => m.body)).toEqual(['now']);
  });

  it('createConversation adds participants; read(sid) marks everything read', async () => {
    const fake = new FakeServer();
    const bob = fake.as('bob');
    const created: Conversation = await bob.createConversation({ friendlyName: 'Trio', participants: ['alice', 'carol'] });
    expect(created).toMatchObject({ participantsCount: 3, createdBy: 'bob', membership: { role: 'admin' } });
    await fake.as('alice').send(created.sid, 'one');
    await fake.as('alice').send(created.sid, 'two');
    expect((await bob.read(created.sid)).membership).toMatchObject({ lastReadMessageIndex: 1, unreadMessagesCount: 0 });
    expect(fake.state.participants(created.sid).map((p) => [p.identity, p.role])).toEqual([['bob', 'admin'], ['alice', 'member'], ['carol', 'member']]);
  });

  it('seed creates users, conversations with fixed sids, roles, messages and read horizons', () => {
    const fake = new FakeServer();
    const [general] = fake.seed({
      users: [{ identity: 'alice', friendlyName: 'Alice' }],
      conversations: [{
        sid: 'CHgeneral',
        friendlyName: 'General',
        participants: ['alice', { identity: 'bob', role: 'admin' }],
        messages: [{ author: 'bob', body: 'one' }, { author: 'bob', body: 'two' }, { author: 'alice', body: 'three' }],
        lastRead: { alice: 0 },
      }],
    });
    expect(general).toMatchObject({ sid: 'CHgeneral', createdBy: 'alice', lastMessageIndex: 2, messagesCount: 3, participantsCount: 2, membership: { lastReadMessageIndex: 0, unreadMessagesCount: 1 } });
    expect(fake.state.user('alice')?.friendlyName).toBe('Alice');
    expect(fake.state.participants('CHgeneral').map((p) => p.role)).toEqual(['admin', 'admin']);
    expect(fake.state.conversations('bob').map((c) => c.membership?.unreadMessagesCount)).toEqual([1]);
    expect(() => fake.seed({ conversations: [{ participants: ['alice'], messages: [{ author: 'mallory', body: 'x' }] }] })).toThrow(FakeServerError);
  });
});
