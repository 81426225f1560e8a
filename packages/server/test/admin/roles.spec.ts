// Roles and permissions (ADMIN-4), driven the way an app's backend does it: with the official `twilio`
// library against our REST API, while users act over real websockets. The matrix at the end takes each
// permission away from a role that has every other one, and gives it alone to another: the op that
// needs it is refused naming it, then allowed.
import { describe, expect, it } from '@jest/globals';
import type { OpName } from '@rx-conversations/protocol';
import { DEFAULT_ROLE_SIDS, SERVICE_PERMISSIONS, CONVERSATION_PERMISSIONS } from '@rx-conversations/server-core';
import { useServers } from '../helpers/useServers.js';
import { key } from '../helpers/connectUser.js';
import type { TestClient } from '../helpers/TestClient.js';
import { ACCOUNT_SID, SERVICE_SID, restFailure, twilioClientFor } from '../helpers/twilioRest.js';

const AUTH_TOKEN = 'auth-token-of-the-test-account-0001';


/** The error a websocket request ends with, or `ok`. */
async function outcome(client: TestClient, op: OpName, args: object): Promise<string | { code: string; permission?: string }> {
  const frame = await client.requestFrame(op as never, args as never);
  if (frame.ok) return 'ok';
  return frame.error.details?.permission === undefined ? { code: frame.error.code } : { code: frame.error.code, permission: frame.error.details.permission };
}

describe('roles and permissions (ADMIN-4)', () => {
  const { start, connect } = useServers();
  const startRest = () => start({ accountSid: ACCOUNT_SID, serviceSid: SERVICE_SID, authToken: AUTH_TOKEN });

  it('ADMIN-4: the four default roles are listed with their permissions, and the service configuration names the defaults', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const roles = await backend.roles.list({ pageSize: 3 });
    expect(roles.map((r) => [r.sid, r.friendlyName, r.type])).toEqual([
      [DEFAULT_ROLE_SIDS.channelUser, 'channel user', 'conversation'],
      [DEFAULT_ROLE_SIDS.channelAdmin, 'channel admin', 'conversation'],
      [DEFAULT_ROLE_SIDS.serviceUser, 'service user', 'service'],
      [DEFAULT_ROLE_SIDS.serviceAdmin, 'service admin', 'service'],
    ]);
    expect(roles[0]!.permissions).toEqual(expect.arrayContaining(['sendMessage', 'editOwnMessage', 'deleteOwnMessage', 'leaveConversation']));
    expect(roles[0]!.permissions).not.toContain('deleteAnyMessage');
    expect([...roles[1]!.permissions].sort()).toEqual([...CONVERSATION_PERMISSIONS].sort());
    expect([...roles[2]!.permissions].sort()).toEqual(['createConversation', 'editOwnUserInfo', 'joinConversation']);

    const configuration = await backend.services(SERVICE_SID).configuration().fetch();
    expect(configuration).toMatchObject({
      chatServiceSid: SERVICE_SID,
      defaultConversationCreatorRoleSid: DEFAULT_ROLE_SIDS.channelAdmin,
      defaultConversationRoleSid: DEFAULT_ROLE_SIDS.channelUser,
      defaultChatServiceRoleSid: DEFAULT_ROLE_SIDS.serviceUser,
      reachabilityEnabled: true,
    });
    // Users show the role they hold: the service default until given their own.
    const user = await backend.users.create({ identity: 'alice' });
    expect(user.roleSid).toBe(DEFAULT_ROLE_SIDS.serviceUser);
  });

  it('ADMIN-4: a custom "moderator" role given through REST lets its holder remove anyone\'s message, not send; changing it applies at once', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const moderator = await backend.roles.create({ friendlyName: 'moderator', type: 'conversation', permission: ['deleteAnyMessage', 'leaveConversation'] });
    expect(moderator.sid).toMatch(/^RL/);
    expect(moderator).toMatchObject({ friendlyName: 'moderator', type: 'conversation', permissions: ['deleteAnyMessage', 'leaveConversation'], accountSid: ACCOUNT_SID });
    expect(moderator.dateCreated).toBeInstanceOf(Date);

    const room = await backend.conversations.create({ friendlyName: 'Lobby' });
    await backend.conversations(room.sid).participants.create({ identity: 'bob' });
    const mod = await backend.conversations(room.sid).participants.create({ identity: 'mia', roleSid: moderator.sid });
    expect(mod.roleSid).toBe(moderator.sid);
    const bob = await connect(server, 'bob');
    const mia = await connect(server, 'mia');
    const posted = await bob.request('messages.send', { sid: room.sid, body: 'spam', idempotencyKey: key() });

    // The participant's entity names the role; `role` is its short form.
    const roster = await mia.request('participants.list', { sid: room.sid });
    expect(roster.items.find((p) => p.identity === 'mia')).toMatchObject({ roleSid: moderator.sid, role: 'member' });

    expect(await outcome(mia, 'messages.send', { sid: room.sid, body: 'hello', idempotencyKey: key() })).toEqual({ code: 'permission_denied', permission: 'sendMessage' });
    expect(await outcome(mia, 'messages.remove', { sid: room.sid, index: posted.index })).toBe('ok');
    expect((await bob.waitForEvent('messageRemoved')).data.index).toBe(posted.index);

    // Permissions replace the set: sending is allowed from the next request on, removing no longer.
    const changed = await backend.roles(moderator.sid).update({ permission: ['sendMessage'] });
    expect(changed.permissions).toEqual(['sendMessage']);
    expect(changed.dateUpdated).toBeInstanceOf(Date);
    const again = await bob.request('messages.send', { sid: room.sid, body: 'more spam', idempotencyKey: key() });
    expect(await outcome(mia, 'messages.remove', { sid: room.sid, index: again.index })).toEqual({ code: 'permission_denied', permission: 'deleteAnyMessage' });
    expect(await outcome(mia, 'messages.send', { sid: room.sid, body: 'hello', idempotencyKey: key() })).toBe('ok');

    // A role change through REST reaches the participant's own view and everyone's roster.
    await backend.conversations(room.sid).participants('bob').update({ roleSid: DEFAULT_ROLE_SIDS.channelAdmin });
    const promoted = await bob.waitForEvent('participantUpdated', (e) => e.data.participant.identity === 'bob');
    expect(promoted.data).toMatchObject({ participant: { role: 'admin', roleSid: DEFAULT_ROLE_SIDS.channelAdmin }, updateReasons: ['role'] });
    const own = await bob.waitForEvent('conversationUpdated', (e) => e.data.updateReasons.includes('role'));
    expect(own.data.conversation.membership).toMatchObject({ role: 'admin', roleSid: DEFAULT_ROLE_SIDS.channelAdmin });
  });

  it('ADMIN-4: without joinConversation in the service user role, conversations are private; a service role of a user\'s own grants it', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    await backend.roles(DEFAULT_ROLE_SIDS.serviceUser).update({ permission: ['createConversation', 'editOwnUserInfo'] });
    const room = await backend.conversations.create({ uniqueName: 'board-room' });
    const eve = await connect(server, 'eve');
    expect(await outcome(eve, 'conversations.join', { uniqueName: 'board-room' })).toEqual({ code: 'permission_denied', permission: 'joinConversation' });
    expect(await outcome(eve, 'conversations.get', { sid: room.sid })).toEqual({ code: 'not_a_participant' });

    // Added by the backend, a user is in whatever the service role says.
    await backend.conversations(room.sid).participants.create({ identity: 'eve' });
    expect((await eve.waitForEvent('conversationAdded')).data.conversation.sid).toBe(room.sid);

    // A concierge may join anything.
    const concierge = await backend.roles.create({ friendlyName: 'concierge', type: 'service', permission: ['joinConversation', 'editOwnUserInfo'] });
    await backend.users.create({ identity: 'carl', roleSid: concierge.sid });
    const carl = await connect(server, 'carl');
    expect(await outcome(carl, 'conversations.join', { uniqueName: 'board-room' })).toBe('ok');
    expect(await outcome(carl, 'conversations.create', { idempotencyKey: key() })).toEqual({ code: 'permission_denied', permission: 'createConversation' });
    expect((await backend.users('carl').fetch()).roleSid).toBe(concierge.sid);
  });

  it('ADMIN-4: the service configuration picks the roles creators and newcomers get', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const guest = await backend.roles.create({ friendlyName: 'guest', type: 'conversation', permission: ['sendMessage'] });
    const host = await backend.roles.create({ friendlyName: 'host', type: 'conversation', permission: ['sendMessage', 'addParticipant', 'removeParticipant'] });
    const updated = await backend.services(SERVICE_SID).configuration().update({ defaultConversationRoleSid: guest.sid, defaultConversationCreatorRoleSid: host.sid });
    expect(updated).toMatchObject({ defaultConversationRoleSid: guest.sid, defaultConversationCreatorRoleSid: host.sid, defaultChatServiceRoleSid: DEFAULT_ROLE_SIDS.serviceUser });

    const ann = await connect(server, 'ann');
    const created = await ann.request('conversations.create', { idempotencyKey: key() });
    expect(created.membership).toMatchObject({ roleSid: host.sid, role: 'member' });
    const added = await ann.request('participants.add', { sid: created.sid, identity: 'ben' });
    expect(added.roleSid).toBe(guest.sid);
    // The host cannot rename (no editConversationName) nor hand out more than it holds.
    expect(await outcome(ann, 'conversations.update', { sid: created.sid, friendlyName: 'x' })).toEqual({ code: 'permission_denied', permission: 'editConversationName' });
    const grant = await outcome(ann, 'participants.add', { sid: created.sid, identity: 'cid', role: 'admin' });
    expect(grant).toMatchObject({ code: 'permission_denied' });
    expect(host.permissions).not.toContain((grant as { permission: string }).permission);

    // Configuration refuses what does not fit, naming the parameter, and changes nothing.
    expect(await restFailure(backend.services(SERVICE_SID).configuration().update({ defaultChatServiceRoleSid: guest.sid }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.services(SERVICE_SID).configuration().update({ defaultConversationRoleSid: 'RLnope' }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.services(SERVICE_SID).configuration().update({ reachabilityEnabled: false }))).toMatchObject({ status: 400, code: 20001 });
    expect(await backend.services(SERVICE_SID).configuration().fetch()).toMatchObject({ defaultConversationRoleSid: guest.sid, defaultChatServiceRoleSid: DEFAULT_ROLE_SIDS.serviceUser });
  });

  it('ADMIN-4: bad role requests get precise errors and change nothing', async () => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const unknown = await restFailure(backend.roles.create({ friendlyName: 'x', type: 'conversation', permission: ['sendMessage', 'fly'] }));
    expect(unknown).toMatchObject({ status: 400, code: 20001 });
    expect(unknown.message).toContain('fly is not a conversation permission');
    expect(await restFailure(backend.roles.create({ friendlyName: 'x', type: 'conversation', permission: ['createConversation'] }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.roles.create({ friendlyName: 'x', type: 'planet' as 'service', permission: ['joinConversation'] }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.roles.create({ friendlyName: '', type: 'service', permission: ['joinConversation'] }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.roles(DEFAULT_ROLE_SIDS.channelUser).remove())).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.roles('RLdoesnotexist').fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await restFailure(backend.roles('RLdoesnotexist').update({ permission: ['sendMessage'] }))).toMatchObject({ status: 404, code: 20404 });

    const used = await backend.roles.create({ friendlyName: 'used', type: 'conversation', permission: ['sendMessage'] });
    const room = await backend.conversations.create({});
    await backend.conversations(room.sid).participants.create({ identity: 'alice', roleSid: used.sid });
    const inUse = await restFailure(backend.roles(used.sid).remove());
    expect(inUse).toMatchObject({ status: 400, code: 20001 });
    expect(inUse.message).toContain('1 participants or users hold this role');
    // A service role is no participant's role, and a conversation role no user's.
    const serviceRole = await backend.roles.create({ friendlyName: 'svc', type: 'service', permission: ['joinConversation'] });
    expect(await restFailure(backend.conversations(room.sid).participants.create({ identity: 'bob', roleSid: serviceRole.sid }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.users.create({ identity: 'bob', roleSid: used.sid }))).toMatchObject({ status: 400, code: 20001 });
    expect(await restFailure(backend.conversations(room.sid).participants('alice').update({ roleSid: 'RLnope' }))).toMatchObject({ status: 400, code: 20001 });

    const unused = await backend.roles.create({ friendlyName: 'unused', type: 'conversation', permission: ['sendMessage'] });
    await backend.roles(unused.sid).remove();
    expect(await restFailure(backend.roles(unused.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect((await backend.roles.list()).map((r) => r.friendlyName).sort()).toEqual(['channel admin', 'channel user', 'service admin', 'service user', 'svc', 'used']);

    // Over the websocket: a role sid that names no conversation role.
    const alice = await connect(server, 'alice');
    const own = await alice.request('conversations.create', { idempotencyKey: key() });
    expect(await outcome(alice, 'participants.add', { sid: own.sid, identity: 'zed', roleSid: serviceRole.sid })).toEqual({ code: 'role_not_found' });
    expect(await outcome(alice, 'participants.add', { sid: own.sid, identity: 'zed', role: 'admin', roleSid: used.sid })).toEqual({ code: 'invalid_argument' });
  });

  // ── the matrix: one row per permission, with the op that needs it ──

  interface Cell {
    readonly permission: string;
    /** Who holds the role: a participant (conversation permissions) or the user (service ones). */
    readonly scope: 'conversation' | 'service';
    readonly op: OpName;
    readonly args: (f: { sid: string; bobMessage: number; eveMessage: number; uniqueName: string }) => object;
    /** What success looks like when the permission lets the request through (a later check may still refuse it). */
    readonly allowed?: string;
  }

  const CELLS: readonly Cell[] = [
    { permission: 'sendMessage', scope: 'conversation', op: 'messages.send', args: (f) => ({ sid: f.sid, body: 'hi', idempotencyKey: key() }) },
    { permission: 'reactToMessage', scope: 'conversation', op: 'messages.react', args: (f) => ({ sid: f.sid, index: f.bobMessage, emoji: '👍' }) },
    // With the permission, the fake upload is what is refused: the permission check came first and passed.
    { permission: 'sendMediaMessage', scope: 'conversation', op: 'messages.send', args: (f) => ({ sid: f.sid, mediaSids: ['MEnotuploaded'], idempotencyKey: key() }), allowed: 'media_not_found' },
    { permission: 'leaveConversation', scope: 'conversation', op: 'conversations.leave', args: (f) => ({ sid: f.sid }) },
    { permission: 'editOwnMessage', scope: 'conversation', op: 'messages.update', args: (f) => ({ sid: f.sid, index: f.eveMessage, body: 'edited' }) },
    { permission: 'editOwnMessageAttributes', scope: 'conversation', op: 'messages.update', args: (f) => ({ sid: f.sid, index: f.eveMessage, attributes: { a: 1 } }) },
    { permission: 'deleteOwnMessage', scope: 'conversation', op: 'messages.remove', args: (f) => ({ sid: f.sid, index: f.eveMessage }) },
    { permission: 'editAnyMessage', scope: 'conversation', op: 'messages.update', args: (f) => ({ sid: f.sid, index: f.bobMessage, body: 'edited' }) },
    { permission: 'editAnyMessageAttributes', scope: 'conversation', op: 'messages.update', args: (f) => ({ sid: f.sid, index: f.bobMessage, attributes: { '👍': ['eve'] } }) },
    { permission: 'deleteAnyMessage', scope: 'conversation', op: 'messages.remove', args: (f) => ({ sid: f.sid, index: f.bobMessage }) },
    { permission: 'editOwnParticipantAttributes', scope: 'conversation', op: 'participants.update', args: (f) => ({ sid: f.sid, identity: 'eve', attributes: { mood: 'ok' } }) },
    { permission: 'editAnyParticipantAttributes', scope: 'conversation', op: 'participants.update', args: (f) => ({ sid: f.sid, identity: 'bob', attributes: { vip: true } }) },
    { permission: 'editNotificationLevel', scope: 'conversation', op: 'conversations.setNotificationLevel', args: (f) => ({ sid: f.sid, level: 'muted' }) },
    { permission: 'addParticipant', scope: 'conversation', op: 'participants.add', args: (f) => ({ sid: f.sid, identity: 'newcomer', roleSid: 'ROLE_ONLY' }) },
    { permission: 'removeParticipant', scope: 'conversation', op: 'participants.remove', args: (f) => ({ sid: f.sid, identity: 'bob' }) },
    { permission: 'editConversationName', scope: 'conversation', op: 'conversations.update', args: (f) => ({ sid: f.sid, friendlyName: 'renamed' }) },
    { permission: 'editConversationAttributes', scope: 'conversation', op: 'conversations.update', args: (f) => ({ sid: f.sid, attributes: { topic: 'x' } }) },
    { permission: 'deleteConversation', scope: 'conversation', op: 'conversations.delete', args: (f) => ({ sid: f.sid }) },
    { permission: 'createConversation', scope: 'service', op: 'conversations.create', args: () => ({ idempotencyKey: key() }) },
    { permission: 'joinConversation', scope: 'service', op: 'conversations.join', args: (f) => ({ uniqueName: f.uniqueName }) },
    { permission: 'editOwnUserInfo', scope: 'service', op: 'users.updateMe', args: () => ({ friendlyName: 'Eve' }) },
  ];

  it('ADMIN-4: the matrix names an op for every permission an SDK user can exercise', () => {
    const exercised = new Set(CELLS.map((c) => c.permission));
    const notSdk = new Set(['addNonChatParticipant', 'editAnyUserInfo']);
    expect([...new Set([...CONVERSATION_PERMISSIONS, ...SERVICE_PERMISSIONS])].filter((p) => !exercised.has(p) && !notSdk.has(p))).toEqual([]);
  });

  it.each(CELLS)('ADMIN-4: $permission — refused without it (naming it, changing nothing), allowed with it alone ($op)', async (cell) => {
    const server = await startRest();
    const backend = twilioClientFor(server).conversations.v1;
    const all = cell.scope === 'conversation' ? CONVERSATION_PERMISSIONS : SERVICE_PERMISSIONS;
    const without = await backend.roles.create({ friendlyName: `all but ${cell.permission}`, type: cell.scope, permission: all.filter((p) => p !== cell.permission) });
    const only = await backend.roles.create({ friendlyName: `only ${cell.permission}`, type: cell.scope, permission: [cell.permission] });

    const run = async (roleSid: string, round: number) => {
      const uniqueName = `room-${round}`;
      const room = await backend.conversations.create({ uniqueName });
      await backend.conversations(room.sid).participants.create({ identity: 'bob' });
      const inConversation = cell.scope === 'conversation';
      if (inConversation) await backend.conversations(room.sid).participants.create({ identity: 'eve', roleSid });
      else await backend.users('eve').update({ roleSid });
      const bobMessage = (await backend.conversations(room.sid).messages.create({ author: 'bob', body: 'from bob' })).index;
      const eveMessage = (await backend.conversations(room.sid).messages.create({ author: 'eve', body: 'from eve' })).index;
      const before = await backend.conversations(room.sid).messages.list();
      const eve = await connect(server, 'eve');
      const args = JSON.parse(JSON.stringify(cell.args({ sid: room.sid, bobMessage, eveMessage, uniqueName })).replace('ROLE_ONLY', only.sid)) as object;
      const result = await outcome(eve, cell.op, args);
      await eve.close();
      return { result, room: room.sid, before };
    };

    await backend.users.create({ identity: 'eve' });
    const refused = await run(without.sid, 1);
    expect(refused.result).toEqual({ code: 'permission_denied', permission: cell.permission });
    // Nothing happened: the conversation, its messages and roster are as they were.
    const messages = await backend.conversations(refused.room).messages.list();
    expect(messages.map((m) => [m.index, m.body, m.attributes])).toEqual(refused.before.map((m) => [m.index, m.body, m.attributes]));
    expect((await backend.conversations(refused.room).participants.list()).map((p) => p.identity).sort()).toEqual(cell.scope === 'conversation' ? ['bob', 'eve'] : ['bob']);

    const allowed = await run(only.sid, 2);
    expect(allowed.result).toEqual(cell.allowed === undefined ? 'ok' : { code: cell.allowed });
  });
});
