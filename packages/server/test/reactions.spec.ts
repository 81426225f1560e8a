// Reactions and replies (PARITY-3) on a real server over real websockets: summaries that converge when
// many react at once, a reader's own reactions without another request, threads with their own paging,
// and a precise error for each bad input.
import { describe, expect, it } from '@jest/globals';
import type { EventFrame, Message } from '@rx-conversations/protocol';
import { key } from './helpers/connectUser.js';
import { useServers } from './helpers/useServers.js';
import type { TestClient } from './helpers/TestClient.js';

describe('what a message says about itself (PARITY-3)', () => {
  const { start, connect } = useServers();

  it('PARITY-3: participantSid, type, lastUpdatedBy, and updateReasons as Twilio names them', async () => {
    const server = await start();
    const ann = await connect(server, 'ann');
    const { sid } = await ann.request('conversations.create', { idempotencyKey: key() });
    const bobAsParticipant = await ann.request('participants.add', { sid, identity: 'bob' });
    const bob = await connect(server, 'bob');
    const roster = await ann.request('participants.list', { sid });
    const annSid = roster.items.find((p) => p.identity === 'ann')!.sid;

    const sent = await bob.request('messages.send', { sid, body: 'draft', idempotencyKey: key() });
    expect(sent).toMatchObject({ participantSid: bobAsParticipant.sid, type: 'text', lastUpdatedBy: null });
    const first = await bob.request('messages.update', { sid, index: sent.index, body: 'final' });
    expect(first.lastUpdatedBy).toBe('bob');
    expect((await ann.waitForEvent('messageUpdated', (e) => e.data.message.version === first.version)).data.updateReasons).toEqual(['body', 'lastUpdatedBy', 'dateUpdated']);
    // The same editor again: lastUpdatedBy does not change.
    const second = await bob.request('messages.update', { sid, index: sent.index, attributes: { pinned: true } });
    expect((await ann.waitForEvent('messageUpdated', (e) => e.data.message.version === second.version)).data.updateReasons).toEqual(['attributes', 'dateUpdated']);
    // An admin edits it: now she is the last editor. A message of hers names her participant.
    const third = await ann.request('messages.update', { sid, index: sent.index, body: 'final (edited by the host)' });
    expect(third).toMatchObject({ lastUpdatedBy: 'ann', author: 'bob', participantSid: bobAsParticipant.sid });
    expect((await ann.request('messages.send', { sid, body: 'mine', idempotencyKey: key() })).participantSid).toBe(annSid);
  });
});

describe('reactions and replies (PARITY-3)', () => {
  const { start, connect } = useServers();

  async function room(n: number): Promise<{ server: Awaited<ReturnType<typeof start>>; sid: string; clients: TestClient[] }> {
    const server = await start({ rateLimit: { burst: 100_000, ratePerSecond: 100_000 } });
    const owner = await connect(server, 'u0');
    const { sid } = await owner.request('conversations.create', { idempotencyKey: key() });
    const clients = [owner];
    for (let i = 1; i < n; i++) {
      await owner.request('participants.add', { sid, identity: `u${i}` });
      clients.push(await connect(server, `u${i}`));
    }
    return { server, sid, clients };
  }

  it('PARITY-3: a reaction needs no authorship; summaries count per emoji and name the first reactors; everyone hears whose changed', async () => {
    const { sid, clients } = await room(5);
    const [ann, bob, cat, dan, eve] = clients as [TestClient, TestClient, TestClient, TestClient, TestClient];
    const posted = await ann.request('messages.send', { sid, body: 'lunch?', idempotencyKey: key() });

    for (const c of [bob, cat, dan, eve]) await c.request('messages.react', { sid, index: posted.index, emoji: '👍' });
    const last = await bob.request('messages.react', { sid, index: posted.index, emoji: '🍕' });
    expect(last.reactions).toEqual([
      { emoji: '👍', count: 4, identities: ['u1', 'u2', 'u3'] },
      { emoji: '🍕', count: 1, identities: ['u1'] },
    ]);
    // Reacting again changes nothing (no new version); taking back one that is not there neither.
    expect((await bob.request('messages.react', { sid, index: posted.index, emoji: '👍' })).version).toBe(last.version);
    expect((await ann.request('messages.unreact', { sid, index: posted.index, emoji: '👍' })).version).toBe(last.version);

    // The first reactor leaves the summary: the next one in order takes the place.
    const after = await bob.request('messages.unreact', { sid, index: posted.index, emoji: '👍' });
    expect(after.reactions).toEqual([
      { emoji: '👍', count: 3, identities: ['u2', 'u3', 'u4'] },
      { emoji: '🍕', count: 1, identities: ['u1'] },
    ]);
    const heard = await ann.waitForEvent('messageUpdated', (e) => e.data.message.version === after.version);
    expect(heard.data).toMatchObject({ updateReasons: ['reactions'], reaction: { emoji: '👍', identity: 'u1', added: false } });

    // A reader sees their own reactions beside the page, whoever else reacted.
    const page = await eve.request('messages.list', { sid });
    expect(page.items[0]!.reactions).toEqual(after.reactions);
    expect(page.myReactions).toEqual({ [posted.index]: ['👍'] });
    expect((await ann.request('messages.list', { sid })).myReactions).toBeUndefined();

    // Removing the message removes its reactions with it.
    await ann.request('messages.remove', { sid, index: posted.index });
    expect((await bob.requestError('messages.react', { sid, index: posted.index, emoji: '👍' })).code).toBe('message_not_found');
  });

  it('PARITY-3: 50 clients reacting to one message at once all converge on the same summaries', async () => {
    const { sid, clients } = await room(50);
    const posted = await clients[0]!.request('messages.send', { sid, body: 'vote', idempotencyKey: key() });
    const emojiOf = (i: number) => (i % 5 === 0 ? '🎉' : '👍');
    await Promise.all(clients.map((c, i) => c.request('messages.react', { sid, index: posted.index, emoji: emojiOf(i) })));
    const final = (await clients[0]!.request('messages.list', { sid })).items.find((m) => m.index === posted.index)!;
    expect(final.reactions?.map((r) => [r.emoji, r.count]).sort()).toEqual([['🎉', 10], ['👍', 40]]);
    expect(final.version).toBe(posted.version + 50);
    // Every client, applying events by version, ends on exactly the stored message.
    const seen = await Promise.all(
      clients.map((c) => c.waitForEvent('messageUpdated', (e) => e.data.message.index === posted.index && e.data.message.version === final.version)),
    );
    for (const event of seen as Array<EventFrame<'messageUpdated'>>) expect(event.data.message.reactions).toEqual(final.reactions);
  });

  it('PARITY-3: bad reactions get precise errors and change nothing', async () => {
    const { server, sid, clients } = await room(2);
    const [ann, bob] = clients as [TestClient, TestClient];
    const posted = await ann.request('messages.send', { sid, body: 'x', idempotencyKey: key() });
    for (const emoji of ['', 'ok', '👍👍', '👍 ', '\u{1F3FB}', 'a'.repeat(40)]) {
      expect(await bob.requestError('messages.react', { sid, index: posted.index, emoji })).toMatchObject({ code: 'invalid_argument', details: { path: 'args.emoji' } });
    }
    // Flags, keycaps, skin tones and ZWJ families are one emoji each.
    for (const emoji of ['🇫🇷', '1️⃣', '👍🏽', '👩‍👩‍👧', '❤️']) await bob.request('messages.react', { sid, index: posted.index, emoji });
    expect((await bob.requestError('messages.react', { sid, index: 99, emoji: '👍' })).code).toBe('message_not_found');
    const outsider = await connect(server, 'zed');
    expect((await outsider.requestError('messages.react', { sid, index: posted.index, emoji: '👍' })).code).toBe('not_a_participant');

    // Twenty different emoji at most on one message; adding to one already there still works.
    const many = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎', '😍', '😘', '🥰'];
    for (const emoji of many) await bob.request('messages.react', { sid, index: posted.index, emoji });
    const limited = await ann.requestError('messages.react', { sid, index: posted.index, emoji: '🤖' });
    expect(limited).toMatchObject({ code: 'reaction_limit', details: { limit: 20 } });
    expect((await ann.request('messages.react', { sid, index: posted.index, emoji: '😀' })).reactions?.length).toBe(20);

    await ann.request('conversations.update', { sid, state: 'closed' });
    expect((await bob.requestError('messages.unreact', { sid, index: posted.index, emoji: '😀' })).code).toBe('conversation_closed');
  });

  it('PARITY-3: replies name their parent and have a thread of their own, paged like messages', async () => {
    const { sid, clients } = await room(2);
    const [ann, bob] = clients as [TestClient, TestClient];
    const question = await ann.request('messages.send', { sid, body: 'question', idempotencyKey: key() });
    const replies: Message[] = [];
    for (let i = 0; i < 5; i++) {
      replies.push(await bob.request('messages.send', { sid, body: `answer ${i}`, replyTo: question.index, idempotencyKey: key() }));
      await ann.request('messages.send', { sid, body: `chatter ${i}`, idempotencyKey: key() });
    }
    expect(replies[0]).toMatchObject({ replyTo: question.index, body: 'answer 0' });
    expect((await ann.waitForEvent('messageAdded', (e) => e.data.message.sid === replies[4]!.sid)).data.message.replyTo).toBe(question.index);

    const newest = await ann.request('messages.thread', { sid, index: question.index, pageSize: 2 });
    expect(newest.items.map((m) => m.body)).toEqual(['answer 3', 'answer 4']);
    expect(newest.hasMore).toBe(true);
    const older = await ann.request('messages.thread', { sid, index: question.index, pageSize: 10, anchor: newest.items[0]!.index });
    expect(older).toMatchObject({ hasMore: false });
    expect(older.items.map((m) => m.body)).toEqual(['answer 0', 'answer 1', 'answer 2']);
    const forwards = await ann.request('messages.thread', { sid, index: question.index, direction: 'forwards', pageSize: 3 });
    expect(forwards.items.map((m) => m.body)).toEqual(['answer 0', 'answer 1', 'answer 2']);

    // A removed reply leaves the thread; a reply to a missing or removed message is refused, naming it.
    await bob.request('messages.remove', { sid, index: replies[0]!.index });
    expect((await ann.request('messages.thread', { sid, index: question.index, direction: 'forwards' })).items).toHaveLength(4);
    expect(await bob.requestError('messages.send', { sid, body: 'x', replyTo: 999, idempotencyKey: key() })).toMatchObject({ code: 'message_not_found', details: { path: 'args.replyTo' } });
    expect(await bob.requestError('messages.send', { sid, body: 'x', replyTo: replies[0]!.index, idempotencyKey: key() })).toMatchObject({
      code: 'message_not_found',
      details: { path: 'args.replyTo' },
    });
    expect((await bob.requestError('messages.thread', { sid, index: 999 })).code).toBe('message_not_found');
  });
});
