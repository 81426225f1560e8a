// The tab protocol's bookkeeping (OFFLINE-3), with the channel, the lock and the socket's core scripted:
// what a tab applies when batches arrive late, twice, overlapping or after a gap, and what it does with
// calls in flight when the leader changes. The real thing runs in packages/client/test/tabs (the real
// server) and demo/test/tabs.e2e.spec.ts (Chromium).
import { describe, expect, it } from '@jest/globals';
import type { InboundFrame, SessionStart } from '../internal/Session.js';
import { FakeCore } from '../../test/FakeCore.js';
import { ev, user } from '../../test/fixtures.js';
import { ConversationsError } from '../ConversationsError.js';
import type { TabMessage } from './tabMessages.js';
import { TabCore, type BroadcastChannelLike, type LockManagerLike } from './TabCore.js';

/** A channel whose traffic the test sees and makes up. */
class ScriptedChannel implements BroadcastChannelLike {
  onmessage: ((event: { readonly data: unknown }) => unknown) | null = null;
  readonly posted: TabMessage[] = [];
  postMessage(message: unknown): void {
    this.posted.push(message as TabMessage);
  }
  close(): void {
    this.onmessage = null;
  }
  deliver(message: TabMessage): void {
    this.onmessage?.({ data: message });
  }
  last<K extends TabMessage['k']>(k: K): Extract<TabMessage, { k: K }> | undefined {
    return this.posted.filter((m): m is Extract<TabMessage, { k: K }> => m.k === k).at(-1);
  }
}

/** A lock granted when the test says so. */
class ScriptedLock implements LockManagerLike {
  private granted: (() => Promise<unknown>) | null = null;
  request(_name: string, _options: unknown, callback: (lock: unknown) => Promise<unknown>): Promise<unknown> {
    this.granted = () => callback({});
    return new Promise(() => undefined);
  }
  grant(): void {
    void this.granted?.();
  }
}

const message = (seq: number): InboundFrame => ev(seq, 'messageAdded', { conversationSid: 'CH1' } as never);
const session = (resume: SessionStart['resume'], headSeq: number): SessionStart => ({ resume, headSeq, user: user('alice'), connectionId: 'c1' });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function tabWith() {
  const channel = new ScriptedChannel();
  const lock = new ScriptedLock();
  const cores: FakeCore[] = [];
  const tab = new TabCore({
    token: 'token',
    identity: 'alice',
    name: 'rx-conversations:alice@ws://x',
    connect: () => {
      const core = new FakeCore();
      cores.push(core);
      return core;
    },
    channel,
    locks: lock,
    ringSize: 10,
  });
  const applied: number[] = [];
  const sessions: SessionStart['resume'][] = [];
  tab.inbound$.subscribe((frames) => applied.push(...frames.flatMap((f) => (f.type === 'ev' ? [f.seq] : []))));
  tab.sessions$.subscribe((s) => sessions.push(s.resume));
  return { tab, channel, lock, cores, applied, sessions };
}

/** A follower that joined leader `L` at position 5. */
async function joinedFollower() {
  const t = tabWith();
  await turn();
  expect(t.channel.last('hello')).toEqual({ k: 'hello', from: t.tab.tabId, lastSeq: null });
  t.channel.deliver({ k: 'welcome', from: 'L', to: t.tab.tabId, session: session('fresh', 5), batches: [], state: 'connected', token: 'fresh-token' });
  return t;
}

/** A tab that got the lock and whose socket has a fresh session at position 0; `core` is that socket's. */
async function leaderWithSession() {
  const t = tabWith();
  t.lock.grant();
  await turn();
  const core = t.cores[0]!;
  core.sessionsSubject.next(session('fresh', 0));
  return { ...t, core };
}

describe('TabCore (OFFLINE-3)', () => {
  it('OFFLINE-3: a follower applies each event once, whatever the batches repeat or overlap', async () => {
    const { tab, channel, applied, sessions } = await joinedFollower();
    expect(sessions).toEqual(['fresh']);
    expect(tab.lastAppliedSeq).toBe(5);
    expect(tab.token).toBe('fresh-token');
    channel.deliver({ k: 'batch', from: 'L', batch: { prev: 5, seq: 7, frames: [message(6), message(7)] } });
    // The old leader's batch arriving again, late, and one that overlaps it.
    channel.deliver({ k: 'batch', from: 'L', batch: { prev: 5, seq: 7, frames: [message(6), message(7)] } });
    channel.deliver({ k: 'batch', from: 'M', batch: { prev: 6, seq: 8, frames: [message(7), message(8)] } });
    expect(applied).toEqual([6, 7, 8]);
    expect(tab.lastAppliedSeq).toBe(8);
  });

  it('OFFLINE-3: after a gap a follower asks to catch up, and applies the replay; when the leader cannot replay, it re-reads its state', async () => {
    const { tab, channel, applied, sessions } = await joinedFollower();
    channel.deliver({ k: 'batch', from: 'L', batch: { prev: 7, seq: 8, frames: [message(8)] } });
    expect(applied).toEqual([]);
    await turn();
    expect(channel.last('hello')).toEqual({ k: 'hello', from: tab.tabId, lastSeq: 5 });
    channel.deliver({ k: 'welcome', from: 'L', to: tab.tabId, session: session('resumed', 8), batches: [{ prev: 5, seq: 8, frames: [message(6), message(7), message(8)] }], state: 'connected', token: 't' });
    expect(applied).toEqual([6, 7, 8]);
    expect(sessions).toEqual(['fresh']);

    channel.deliver({ k: 'batch', from: 'L', batch: { prev: 20, seq: 21, frames: [message(21)] } });
    await turn();
    channel.deliver({ k: 'welcome', from: 'L', to: tab.tabId, session: session('resync', 21), batches: [], state: 'connected', token: 't' });
    expect(sessions).toEqual(['fresh', 'resync']);
    expect(tab.lastAppliedSeq).toBe(21);
  });

  it('OFFLINE-3: when another tab takes the lead, calls in flight that are safe to repeat go to it; others fail as on a lost connection', async () => {
    const { tab, channel } = await joinedFollower();
    const read = tab.request('conversations.list', {}, { idempotent: true });
    const typing = tab.request('conversations.typing', { sid: 'CH1' });
    const firstCall = channel.last('call')!;
    expect(firstCall).toMatchObject({ to: 'L', op: 'conversations.typing', idempotent: false });
    channel.deliver({ k: 'leader', from: 'M' });
    await expect(typing).rejects.toMatchObject({ code: 'connection_lost' });
    const resent = channel.posted.filter((m): m is Extract<TabMessage, { k: 'call' }> => m.k === 'call' && m.to === 'M');
    expect(resent.map((c) => c.op)).toEqual(['conversations.list']);
    channel.deliver({ k: 'reply', from: 'M', to: tab.tabId, id: resent[0]!.id, result: { items: [], nextCursor: null, asOfSeq: 5 } });
    await expect(read).resolves.toEqual({ items: [], nextCursor: null, asOfSeq: 5 });
    // And it joins the new leader from where it is.
    await turn();
    expect(channel.last('hello')).toEqual({ k: 'hello', from: tab.tabId, lastSeq: 5 });
  });

  it('OFFLINE-3: a new leader resumes its socket from its own position, applies the old leader\'s late batches, and drops what its socket replays of them', async () => {
    const { tab, channel, lock, cores, applied } = await joinedFollower();
    lock.grant();
    await turn();
    expect(tab.leading).toBe(true);
    expect(channel.last('leader')).toEqual({ k: 'leader', from: tab.tabId });
    const core = cores[0]!;
    expect(await core.resumedFrom).toBe(5);
    // The old leader's last batch, still on its way.
    channel.deliver({ k: 'batch', from: 'L', batch: { prev: 5, seq: 7, frames: [message(6), message(7)] } });
    core.sessionsSubject.next(session('resumed', 9));
    core.inboundSubject.next([message(6), message(7), message(8)]);
    expect(applied).toEqual([6, 7, 8]);
    expect(channel.last('batch')!.batch).toEqual({ prev: 7, seq: 8, frames: [message(8)] });
    expect(channel.last('session')!.session.resume).toBe('resumed');
  });

  it('OFFLINE-3: a leader answers followers from what it kept: a replay, a fresh start, or a resync when it no longer reaches back', async () => {
    const { tab, channel, lock, cores } = tabWith();
    lock.grant();
    await turn();
    const core = cores[0]!;
    // A follower that asks before the socket has a session waits for it.
    channel.deliver({ k: 'hello', from: 'F0', lastSeq: null });
    expect(channel.last('welcome')).toBeUndefined();
    core.sessionsSubject.next(session('fresh', 3));
    expect(channel.last('welcome')).toMatchObject({ to: 'F0', session: { resume: 'fresh', headSeq: 3 } });
    for (let seq = 4; seq <= 15; seq += 1) core.inboundSubject.next([message(seq)]);
    expect(tab.lastAppliedSeq).toBe(15);

    channel.deliver({ k: 'hello', from: 'F1', lastSeq: 12 });
    const replay = channel.last('welcome')!;
    expect(replay).toMatchObject({ to: 'F1', session: { resume: 'resumed', headSeq: 15 } });
    expect(replay.batches.flatMap((b) => b.frames.map((f) => (f as { seq: number }).seq))).toEqual([13, 14, 15]);
    // Ten batches are kept (ringSize): 6..15. Position 4 is out of reach.
    channel.deliver({ k: 'hello', from: 'F2', lastSeq: 4 });
    expect(channel.last('welcome')).toMatchObject({ to: 'F2', session: { resume: 'resync', headSeq: 15 }, batches: [] });
    channel.deliver({ k: 'hello', from: 'F3', lastSeq: 5 });
    expect(channel.last('welcome')).toMatchObject({ to: 'F3', session: { resume: 'resumed' } });
  });

  it('OFFLINE-3: the leader counts user watches per tab: a user is unwatched on the socket only when no tab watches them', async () => {
    const { tab, channel, core } = await leaderWithSession();
    await tab.request('users.subscribe', { identities: ['bob'] });
    channel.deliver({ k: 'call', from: 'F', to: tab.tabId, id: 1, op: 'users.subscribe', args: { identities: ['bob', 'carol'] }, idempotent: true });
    channel.deliver({ k: 'call', from: 'F', to: tab.tabId, id: 2, op: 'users.unsubscribe', args: { identities: ['bob'] }, idempotent: true });
    await turn();
    expect(core.callsOf('users.unsubscribe')).toEqual([]);
    // The follower goes away: carol, whom only it watched, is unwatched; bob stays.
    channel.deliver({ k: 'bye', from: 'F' });
    expect(core.callsOf('users.unsubscribe').map((c) => c.args)).toEqual([{ identities: ['carol'] }]);
    await tab.request('users.unsubscribe', { identities: ['bob'] });
    expect(core.callsOf('users.unsubscribe').map((c) => c.args)).toEqual([{ identities: ['carol'] }, { identities: ['bob'] }]);
  });

  it('OFFLINE-3: a leader that shuts down does not pass its own socket\'s client_shut_down on to a follower\'s call; the follower sends it to the next leader', async () => {
    const { tab, channel, core } = await leaderWithSession();
    let failInFlight: (error: unknown) => void = () => undefined;
    core.handler = () => new Promise((_, reject) => (failInFlight = reject));
    channel.deliver({ k: 'call', from: 'F', to: tab.tabId, id: 7, op: 'messages.send', args: { sid: 'CH1', body: 'hi', idempotencyKey: 'k' }, idempotent: true });
    const closing = tab.shutdown();
    // As the connection core does at shutdown: every call in flight fails with client_shut_down.
    failInFlight(new ConversationsError('client_shut_down'));
    await closing;
    expect(channel.posted.filter((m) => m.k === 'reply')).toEqual([]);
  });
});
