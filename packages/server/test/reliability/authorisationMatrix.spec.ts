// Authorisation matrix (SRV-3, SRV-6): every operation in OP_NAMES × {non-participant, member, admin},
// each cell on a fresh conversation, with the expected outcome written out below. A refused request has
// no effect (the conversation, its roster and its messages are unchanged, versions included), and the
// non-participant never receives an event, a signal or a reply that carries a conversation it is not in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OP_NAMES, type ErrorCode, type OpName, type ServerFrame } from '@rx-conversations/protocol';
import { startServer, type RunningServer } from '../../src/index.js';
import { connectUser, key } from '../helpers/connectUser.js';
import { tokenFor } from '../helpers/testKeys.js';
import type { TestClient } from '../helpers/TestClient.js';

type Role = 'outsider' | 'member' | 'admin';
type Outcome = 'ok' | ErrorCode;

/** The conversation a cell runs against: admin `adm` created it, member `mem` was added. */
interface Fixture {
  readonly sid: string;
  readonly uniqueName: string;
  /** Index of the admin's message and of the member's message. */
  readonly adminMessage: number;
  readonly memberMessage: number;
}

interface Row {
  /** The operation (OP_NAMES); a row name may add a variant in parentheses. */
  readonly op: OpName;
  readonly variant?: string;
  readonly args: (f: Fixture, actor: Role) => unknown | Promise<unknown>;
  readonly expected: Readonly<Record<Role, Outcome>>;
  /** On success the outsider becomes a participant (and may then see the conversation). */
  readonly admitsOutsider?: boolean;
}

const IDENTITY: Record<Role, string> = { outsider: 'out', member: 'mem', admin: 'adm' };
const NAP = 'not_a_participant' as const;
const everyone = { outsider: 'ok', member: 'ok', admin: 'ok' } as const;
const participantsOnly = { outsider: NAP, member: 'ok', admin: 'ok' } as const;
const adminsOnly = { outsider: NAP, member: 'permission_denied', admin: 'ok' } as const;
const own = (f: Fixture, actor: Role): number => (actor === 'admin' ? f.adminMessage : f.memberMessage);
const others = (f: Fixture, actor: Role): number => (actor === 'admin' ? f.memberMessage : f.adminMessage);

// The expected table under the default roles (ADMIN-4, docs/server.md "Roles and permissions"): only
// participants read or write; channel admins manage the conversation and roster and edit or remove
// anyone's messages; channel users edit and remove their own; every user may join by sid or unique name
// (the service user role has joinConversation); users, push and token ops are not scoped to a conversation.
const MATRIX: readonly Row[] = [
  { op: 'conversations.list', args: () => ({}), expected: everyone },
  { op: 'conversations.get', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'conversations.get', variant: 'by unique name', args: (f) => ({ uniqueName: f.uniqueName }), expected: participantsOnly },
  { op: 'conversations.peek', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'conversations.create', args: () => ({ idempotencyKey: key() }), expected: everyone },
  { op: 'conversations.update', args: (f) => ({ sid: f.sid, friendlyName: 'renamed', attributes: { x: 1 } }), expected: adminsOnly },
  { op: 'conversations.delete', args: (f) => ({ sid: f.sid }), expected: adminsOnly },
  { op: 'conversations.join', args: (f) => ({ sid: f.sid }), expected: everyone },
  { op: 'conversations.leave', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'conversations.setNotificationLevel', args: (f) => ({ sid: f.sid, level: 'muted' }), expected: participantsOnly },
  { op: 'conversations.setLastRead', args: (f) => ({ sid: f.sid, index: 1, mode: 'set' }), expected: participantsOnly },
  { op: 'conversations.counts', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'conversations.typing', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'participants.list', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'participants.add', args: (f) => ({ sid: f.sid, identity: 'newcomer' }), expected: adminsOnly },
  { op: 'participants.add', variant: 'self, as admin', args: (f) => ({ sid: f.sid, identity: 'out', role: 'admin' }), expected: { outsider: NAP, member: 'permission_denied', admin: 'ok' }, admitsOutsider: true },
  { op: 'participants.remove', variant: 'someone else', args: (f, actor) => ({ sid: f.sid, identity: actor === 'admin' ? 'mem' : 'adm' }), expected: adminsOnly },
  { op: 'participants.remove', variant: 'self', args: (f, actor) => ({ sid: f.sid, identity: IDENTITY[actor] }), expected: participantsOnly },
  { op: 'participants.update', variant: 'someone else’s role', args: (f, actor) => ({ sid: f.sid, identity: actor === 'admin' ? 'mem' : 'adm', role: 'member' }), expected: adminsOnly },
  { op: 'participants.update', variant: 'own role to admin', args: (f, actor) => ({ sid: f.sid, identity: IDENTITY[actor], role: 'admin' }), expected: adminsOnly },
  { op: 'participants.update', variant: 'own attributes', args: (f, actor) => ({ sid: f.sid, identity: IDENTITY[actor], attributes: { mood: 'fine' } }), expected: participantsOnly },
  { op: 'messages.list', args: (f) => ({ sid: f.sid }), expected: participantsOnly },
  { op: 'messages.send', args: (f) => ({ sid: f.sid, body: 'hi', idempotencyKey: key() }), expected: participantsOnly },
  { op: 'messages.update', variant: 'own message', args: (f, actor) => ({ sid: f.sid, index: own(f, actor), body: 'edited' }), expected: participantsOnly },
  { op: 'messages.update', variant: 'someone else’s', args: (f, actor) => ({ sid: f.sid, index: others(f, actor), body: 'edited' }), expected: { outsider: NAP, member: 'permission_denied', admin: 'ok' } },
  { op: 'messages.remove', variant: 'own message', args: (f, actor) => ({ sid: f.sid, index: own(f, actor) }), expected: participantsOnly },
  { op: 'messages.remove', variant: 'someone else’s', args: (f, actor) => ({ sid: f.sid, index: others(f, actor) }), expected: { outsider: NAP, member: 'permission_denied', admin: 'ok' } },
  { op: 'messages.react', args: (f) => ({ sid: f.sid, index: f.adminMessage, emoji: '👍' }), expected: participantsOnly },
  { op: 'messages.unreact', args: (f) => ({ sid: f.sid, index: f.adminMessage, emoji: '👍' }), expected: participantsOnly },
  { op: 'messages.thread', args: (f) => ({ sid: f.sid, index: f.adminMessage }), expected: participantsOnly },
  { op: 'users.get', args: () => ({ identity: 'adm' }), expected: everyone },
  { op: 'users.subscribe', args: () => ({ identities: ['adm', 'mem'] }), expected: everyone },
  { op: 'users.unsubscribe', args: () => ({ identities: ['adm', 'mem'] }), expected: everyone },
  { op: 'users.updateMe', args: (_f, actor) => ({ friendlyName: `${actor} renamed` }), expected: everyone },
  { op: 'push.register', args: () => ({ type: 'fcm', token: 'fcm-token-1' }), expected: everyone },
  { op: 'push.unregister', args: () => ({ type: 'fcm', token: 'fcm-token-1' }), expected: everyone },
  { op: 'token.update', args: async (_f, actor) => ({ token: await tokenFor(IDENTITY[actor]) }), expected: everyone },
];

let server: RunningServer;
const clients = {} as Record<Role, TestClient>;
let fixtures = 0;
/** Every conversation sid made for a cell, and those the outsider legitimately joined or created. */
const allSids = new Set<string>();
const outsiderSids = new Set<string>();

async function fixture(): Promise<Fixture> {
  fixtures += 1;
  const uniqueName = `private-${fixtures}`;
  const admin = clients.admin;
  const conversation = await admin.request('conversations.create', { uniqueName, friendlyName: `secret room ${fixtures}`, attributes: { secret: `attr-${fixtures}` }, idempotencyKey: key() });
  allSids.add(conversation.sid);
  await admin.request('participants.add', { sid: conversation.sid, identity: 'mem' });
  const a = await admin.request('messages.send', { sid: conversation.sid, body: `secret-body-${fixtures}-a`, idempotencyKey: key() });
  const m = await clients.member.request('messages.send', { sid: conversation.sid, body: `secret-body-${fixtures}-m`, idempotencyKey: key() });
  return { sid: conversation.sid, uniqueName, adminMessage: a.index, memberMessage: m.index };
}

/** Everything an admin-side observer can see of the conversation (exists, roster, messages, versions). */
async function snapshot(f: Fixture): Promise<unknown> {
  const observer = clients.admin;
  const get = await observer.requestFrame('conversations.get', { sid: f.sid });
  if (!get.ok) return { gone: get.error.code };
  const participants = await observer.request('participants.list', { sid: f.sid });
  const messages = await observer.request('messages.list', { sid: f.sid, pageSize: 100 });
  const counts = await observer.request('conversations.counts', { sid: f.sid });
  const strip = <T extends { asOfSeq: number }>({ asOfSeq: _ignored, ...rest }: T) => rest;
  return { conversation: get.result, participants: strip(participants), messages: strip(messages), counts };
}

/** Sids mentioned anywhere in a frame. */
function mentionedSids(frame: ServerFrame): string[] {
  const text = JSON.stringify(frame);
  return [...allSids].filter((sid) => text.includes(sid));
}

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: { SKtest0000000000000000000000000000: 'test-secret-that-is-at-least-32-bytes-long!' }, rateLimit: { burst: 100_000, ratePerSecond: 100_000 } });
  clients.admin = await connectUser(server, 'adm');
  clients.member = await connectUser(server, 'mem');
  clients.outsider = await connectUser(server, 'out');
});
afterAll(async () => {
  for (const client of Object.values(clients)) await client.close();
  await server.close();
});

describe('authorisation matrix (SRV-3)', () => {
  it('SRV-3: the matrix covers every operation in OP_NAMES', () => {
    expect(new Set(MATRIX.map((row) => row.op))).toEqual(new Set(OP_NAMES));
  });

  const cells = MATRIX.flatMap((row) =>
    (['outsider', 'member', 'admin'] as const).map((role) => ({
      title: `${row.op}${row.variant === undefined ? '' : ` (${row.variant})`}`,
      role,
      row,
      outcome: row.expected[role],
    })),
  );

  it.each(cells)('SRV-3: $title by the $role → $outcome', async ({ row, role, outcome }) => {
    const f = await fixture();
    const before = await snapshot(f);
    const actor = clients[role];
    const reply = await actor.requestFrame(row.op, (await row.args(f, role)) as never);
    if (outcome === 'ok') {
      expect(reply).toMatchObject({ ok: true });
      if (row.admitsOutsider === true) outsiderSids.add(f.sid);
      if (role === 'outsider') {
        const result = (reply as { result: unknown }).result;
        if (row.op === 'conversations.join') {
          outsiderSids.add(f.sid);
        } else if (row.op === 'conversations.create') {
          const created = (result as { sid: string }).sid;
          outsiderSids.add(created);
        } else {
          // A success that is not scoped to this conversation must not carry it (list, users, push).
          expect(JSON.stringify(result)).not.toContain(f.sid);
          expect(JSON.stringify(result)).not.toContain('secret');
        }
      }
    } else {
      expect(reply).toMatchObject({ ok: false, error: { code: outcome } });
      // A refusal says nothing of the conversation and changes nothing.
      expect(JSON.stringify(reply)).not.toContain('secret');
      expect(await snapshot(f)).toEqual(before);
    }
  });

  it('SRV-3: over the whole run the non-participant received no event, signal or reply of a conversation it was not in', async () => {
    const out = clients.outsider;
    // A last round trip: anything the server queued to `out` before this reply has arrived.
    await out.request('users.get', { identity: 'out' });
    const leaks = out.frames.filter((frame) => mentionedSids(frame).some((sid) => !outsiderSids.has(sid)));
    expect(leaks).toEqual([]);
    // The check is not vacuous: the outsider did receive events, of the conversations it joined.
    expect(out.events().length).toBeGreaterThan(0);
    expect(out.frames.some((frame) => mentionedSids(frame).length > 0)).toBe(true);
  });

  it('SRV-3: a participant removed or leaving receives nothing of the conversation afterwards', async () => {
    const f = await fixture();
    const member = clients.member;
    await clients.admin.request('participants.remove', { sid: f.sid, identity: 'mem' });
    await member.waitForEvent('conversationRemoved', (e) => e.data.sid === f.sid);
    const mark = member.frames.length;
    await clients.admin.request('messages.send', { sid: f.sid, body: 'after removal', idempotencyKey: key() });
    await clients.admin.request('conversations.typing', { sid: f.sid });
    await clients.admin.request('conversations.update', { sid: f.sid, friendlyName: 'after removal' });
    expect((await member.requestError('messages.list', { sid: f.sid })).code).toBe(NAP);
    expect(member.frames.slice(mark).filter((frame) => frame.type !== 'res' && JSON.stringify(frame).includes(f.sid))).toEqual([]);
  });
});
