// Several tabs of one app share one websocket (OFFLINE-3), against the real server: Node's own
// BroadcastChannel carries what tabs say to each other, and the locks are `memoryLocks()` (Node has no
// Web Locks; demo/test/tabs.e2e.spec.ts runs the same code on Chromium's). Each "tab" is a full client.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom, map } from 'rxjs';
import type { ConversationsClient, MessageView } from '../../src/index.js';
import { shareAcrossTabs, type LockManagerLike } from '../../src/tabs.js';
import { storagePersistence, type PersistenceStorage } from '../../src/persistence.js';
import { startTcpProxy } from '../core/tcpProxy.js';
import { startStoreServer, waitUntil, within, type Connected, type StoreServer } from '../store/storeServer.js';
import { memoryLocks } from './memoryLocks.js';

let h: StoreServer;
let locks: LockManagerLike;

beforeEach(async () => {
  h = await startStoreServer();
  locks = memoryLocks();
});
afterEach(async () => {
  await h.close();
});

/** A tab of alice's app: a client sharing its socket with the other tabs of this test. */
function tab(): Connected {
  return h.connect('alice', { tabs: shareAcrossTabs({ locks }) });
}

const socketsOpened = (tabs: readonly Connected[]): number => tabs.reduce((sum, t) => sum + t.wire.opened, 0);

const bodiesOf = (messages: readonly MessageView[]): string[] => messages.map((m) => m.body ?? '');

/** Waits until `client` shows exactly `bodies` in the conversation, and never more (no duplicate). */
async function showsExactly(client: ConversationsClient, sid: string, bodies: readonly string[], what: string): Promise<void> {
  const seen = await waitUntil(client.conversation(sid).messages$, (ms) => ms.length >= bodies.length, what, 5_000);
  expect(bodiesOf(seen)).toEqual(bodies);
  expect(new Set(seen.map((m) => m.index)).size).toBe(seen.length);
}

describe('several tabs share one websocket (OFFLINE-3)', () => {
  it('OFFLINE-3: three tabs open one socket; each shows the same conversations; a follower sends through the leader and every tab sees it once', async () => {
    const tabs = [tab(), tab(), tab()];
    await Promise.all(tabs.map((t) => within(t.client.whenSynchronized(), 'every tab synchronised')));
    expect(socketsOpened(tabs)).toBe(1);
    const [leader, follower, other] = tabs.map((t) => t.client) as [ConversationsClient, ConversationsClient, ConversationsClient];
    const { client: bob } = await h.client('bob');

    // A follower creates a conversation through the leader's socket; read-your-writes holds in it.
    const created = await follower.createConversation({ friendlyName: 'From a follower' });
    expect(await firstValueFrom(follower.conversations$.pipe(map((list) => list.some((c) => c.sid === created.sid))))).toBe(true);
    for (const client of [leader, other]) await waitUntil(client.conversations$, (list) => list.some((c) => c.sid === created.sid), 'the conversation in every tab');
    await created.add('bob');

    for (const client of tabs.map((t) => t.client)) client.conversation(created.sid).messages$.subscribe();
    const sent = await other.conversation(created.sid).sendMessage('hello from the third tab');
    expect(sent.index).toBe(0);
    await bob.conversation(created.sid).sendMessage('hello back');
    for (const [i, client] of [leader, follower, other].entries()) {
      await showsExactly(client, created.sid, ['hello from the third tab', 'hello back'], `both messages in tab ${i + 1}`);
    }
    expect(socketsOpened(tabs)).toBe(1);
    // Every tab mirrors the leader's connection state.
    expect(await firstValueFrom(follower.connectionState$)).toBe('connected');
  });

  it('OFFLINE-3: the leader closes mid-stream: another tab takes the socket over within 2 s and both remaining tabs get every message exactly once, in order', async () => {
    const tabs = [tab(), tab(), tab()];
    await Promise.all(tabs.map((t) => t.client.whenSynchronized()));
    const [leader, ...rest] = tabs;
    const { client: bob } = await h.client('bob');
    const conversation = await bob.createConversation({ friendlyName: 'Stream' });
    await conversation.add('alice');
    for (const t of rest) {
      await waitUntil(t.client.conversations$, (list) => list.some((c) => c.sid === conversation.sid), 'the conversation');
      t.client.conversation(conversation.sid).messages$.subscribe();
    }

    // What each remaining tab announces: an event applied twice would show here twice.
    const added = rest.map((t) => {
      const seen: string[] = [];
      t.client.messageAdded$.subscribe((m) => seen.push(m.body ?? ''));
      return seen;
    });
    const bodies = Array.from({ length: 30 }, (_, i) => `m${i}`);
    let takeover: Promise<unknown> = Promise.resolve();
    for (const [i, body] of bodies.entries()) {
      if (i === 10) {
        // The first message after the leader closes reaches both remaining tabs within 2 s.
        takeover = Promise.all(rest.map((t) => waitUntil(t.client.messageAdded$, (m) => m.body === body, `${body}, sent as the leader closed`, 2_000)));
        void leader!.client.shutdown();
      }
      await conversation.sendMessage(body);
    }
    await takeover;
    for (const [i, t] of rest.entries()) await showsExactly(t.client, conversation.sid, bodies, `all 30 messages in remaining tab ${i + 1}`);
    expect(added).toEqual([bodies, bodies]);
    // One of the two opened the one new socket.
    expect(rest.reduce((sum, t) => sum + t.wire.opened, 0)).toBe(1);
  });

  it('OFFLINE-3: a follower call in flight when the leader goes away is sent again by the new leader and lands once', async () => {
    const tabs = [tab(), tab()];
    await Promise.all(tabs.map((t) => t.client.whenSynchronized()));
    const [leader, follower] = tabs as [Connected, Connected];
    const conversation = await follower.client.createConversation({ friendlyName: 'In flight' });
    const window = follower.client.conversation(conversation.sid).messages$.subscribe();
    // The leader's socket holds the send back, as a slow network would, and the leader closes.
    const held = leader.wire.holdRequest((frame) => frame.op === 'messages.send');
    const sending = follower.client.conversation(conversation.sid).sendMessage('sent across the takeover');
    await within(held.sent, 'the send on the leader socket');
    await leader.client.shutdown();
    const sent = await within(sending, 'the send, through the new leader', 5_000);
    expect(sent.body).toBe('sent across the takeover');
    expect(follower.wire.opened).toBe(1);
    const list = await follower.client.conversation(conversation.sid).getMessages(10);
    expect(list.items.map((m) => m.body)).toEqual(['sent across the takeover']);
    window.unsubscribe();
  });

  it('OFFLINE-3: a user watched by two tabs stays watched on the shared socket when one of them stops watching', async () => {
    const tabs = [tab(), tab()];
    await Promise.all(tabs.map((t) => t.client.whenSynchronized()));
    const [leaderTab, followerTab] = tabs as [Connected, Connected];
    const [leader, follower] = [leaderTab.client, followerTab.client];
    const { client: bob } = await h.client('bob');
    const leaderWatch = (await leader.getUser('bob')).state$.subscribe();
    const followerWatch = (await follower.getUser('bob')).state$.subscribe();
    await within((await follower.getUser('bob')).getState(), "the follower's watch answered");
    followerWatch.unsubscribe();
    // A call of the follower's after its unwatch: the leader handled the unwatch before answering it.
    await follower.createConversation({ friendlyName: 'after the unwatch' });
    expect(leaderTab.wire.count('users.unsubscribe')).toBe(0);
    await bob.updateMyUser({ friendlyName: 'Bob B.' });
    await waitUntil((await leader.getUser('bob')).state$, (u) => u.friendlyName === 'Bob B.', "bob's new name in the tab still watching him");
    leaderWatch.unsubscribe();
  });

  it('OFFLINE-3: a follower shut down completes and rejects like any client; the others go on', async () => {
    const tabs = [tab(), tab()];
    await Promise.all(tabs.map((t) => t.client.whenSynchronized()));
    const [leader, follower] = tabs.map((t) => t.client) as [ConversationsClient, ConversationsClient];
    const states: string[] = [];
    const done = new Promise<void>((resolve) => follower.connectionState$.subscribe({ next: (s) => states.push(s), complete: resolve }));
    await follower.shutdown();
    await within(done, 'connectionState$ completes');
    expect(states.slice(-1)).toEqual(['disconnected']);
    await expect(follower.createConversation({ friendlyName: 'x' })).rejects.toMatchObject({ code: 'client_shut_down' });
    const c = await leader.createConversation({ friendlyName: 'Still here' });
    expect(c.sid).toMatch(/^CH/);
  });

  it('OFFLINE-2, OFFLINE-3: a follower’s sends queued offline survive closing every tab, even when the leader writes last, and go out once', async () => {
    const proxy = await startTcpProxy(h.server.port);
    try {
      // One storage for every tab, as an origin's IndexedDB is.
      const data = new Map<string, string>();
      const storage: PersistenceStorage = {
        read: async (key) => data.get(key) ?? null,
        write: async (key, value) => void data.set(key, value),
        remove: async (key) => void data.delete(key),
        keys: async (prefix) => [...data.keys()].filter((key) => key.startsWith(prefix)),
      };
      const openTab = () => h.connect('alice', { url: proxy.url, tabs: shareAcrossTabs({ locks }), persistence: storagePersistence(storage) });
      const [leader, follower] = [openTab(), openTab()] as [Connected, Connected];
      await Promise.all([leader, follower].map((t) => within(t.client.whenSynchronized(), 'both tabs synchronised')));
      const { sid } = await follower.client.createConversation({ friendlyName: 'Offline tabs' });

      proxy.refuse = true;
      proxy.cutAll();
      await waitUntil(follower.client.connectionState$, (state) => state !== 'connected', 'the tabs offline');
      for (const body of ['queued 1', 'queued 2']) void follower.client.conversation(sid).sendMessage(body).catch(() => undefined);
      await waitUntil(follower.client.conversation(sid).messages$, (l) => l.filter((m) => m.status === 'sending').length === 2, "the follower's queued sends");
      await follower.client.shutdown();
      // The leader, which never held those sends, writes the shared snapshot after the follower.
      await leader.client.shutdown();

      proxy.refuse = false;
      const back = openTab();
      await waitUntil(back.client.conversation(sid).messages$, (l) => l.length === 2 && l.every((m) => m.status === 'sent'), 'the queued sends, sent');
      expect(back.wire.count('messages.send')).toBe(2);
      const onServer = await back.client.conversation(sid).getMessages(10);
      expect(onServer.items.map((m) => m.body)).toEqual(['queued 1', 'queued 2']);
    } finally {
      await proxy.close();
    }
  });

  it('OFFLINE-3: without Web Locks each tab connects on its own, as without the option', async () => {
    const alone = [h.connect('alice', { tabs: shareAcrossTabs() }), h.connect('alice', { tabs: shareAcrossTabs() })];
    await Promise.all(alone.map((t) => t.client.whenSynchronized()));
    expect(alone.map((t) => t.wire.opened)).toEqual([1, 1]);
  });
});
