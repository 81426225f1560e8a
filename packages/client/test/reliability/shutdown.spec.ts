// ROBUST-2 against the real server: shutdown ends everything. 100 times over, a full client connects,
// synchronises and is observed the way an app observes it — the conversation list, a conversation's
// messages, roster, typing, its three counters, a user, push — then shuts down. Every observable
// completes (also those subscribed after shutdown), nothing stays scheduled on the client's scheduler,
// and once collected no client, handle or user handle is retained: checked with WeakRefs after a full
// collection (`gc`, exposed at run time as in memoryBound.spec.ts), and with the retained heap.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { asyncScheduler, firstValueFrom, filter, timeout, type Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { MemoryPushSender, startServer, type RunningServer } from '@rx-conversations/server';
import { createAccessToken } from '@rx-conversations/token';
import { ConversationsClient, createMemoryStorage, type ConversationsClientOptions } from '../../src/index.js';

const KEY_ID = 'SKshutdown';
const SECRET = 'shutdown-test-secret-that-is-long-enough';
const CYCLES = 100;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Real time, counting the actions scheduled and not yet run or cancelled. */
class CountingScheduler implements SchedulerLike {
  readonly live = new Set<Subscription>();
  now(): number {
    return asyncScheduler.now();
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const live = this.live;
    const sub: Subscription = asyncScheduler.schedule(function (this: SchedulerAction<T>, s?: T) {
      live.delete(sub);
      work.call(this, s);
    }, delay, state);
    live.add(sub);
    sub.add(() => live.delete(sub));
    return sub;
  }
}

let server: RunningServer;
let sid: string;
const tokens = new Map<string, string>();

const connect = (identity: string, options: Partial<ConversationsClientOptions> = {}) =>
  new ConversationsClient(tokens.get(identity)!, { url: server.url, WebSocket, storage: createMemoryStorage(), platform: null, fetch: null, ...options });

/** Heap retained now, in MB, after a full collection. */
async function retainedMb(): Promise<number> {
  // WeakRef targets read in this job stay alive until it ends: collect in a later turn.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

/**
 * One cycle: a client observed the way an app observes it, then shut down. Checks that every observable
 * completed, also when subscribed after shutdown, and that nothing is left on its scheduler; returns
 * WeakRefs to the client and its handles.
 */
async function observeAndShutDown(cycle: number): Promise<WeakRef<object>[]> {
  const scheduler = new CountingScheduler();
  const client = connect('alice', { scheduler });
  await client.whenSynchronized();
  const conversation = client.conversation(sid);
  const bob = await client.getUser('bob');
  const streams: Observable<unknown>[] = [
    client.connectionState$, client.synchronization$, client.conversations$, client.user$, client.messageAdded$,
    client.typingStarted$, client.pushNotification$, client.connectionError$, client.tokenAboutToExpire$,
    conversation.state$, conversation.messages$, conversation.messagesWindow$, conversation.participants$,
    conversation.typing$, conversation.messagesCount$, conversation.unreadMessagesCount$, conversation.participantsCount$,
    bob.state$,
  ];
  const completed = new Set<number>();
  streams.forEach((stream, i) => stream.subscribe({ complete: () => completed.add(i), error: () => undefined }));
  await Promise.all([
    conversation.getMessagesCount(),
    firstValueFrom(conversation.participants$.pipe(filter((list) => list.length === 2), timeout(5_000))),
    bob.getState(),
    conversation.typing(),
    client.setPushRegistrationId('fcm', `device-${cycle}`),
  ]);
  await conversation.loadOlder();

  await client.shutdown();
  const all = streams.map((_, i) => i);
  expect([...completed].sort((a, b) => a - b)).toEqual(all);
  const late = new Set<number>();
  streams.forEach((stream, i) => stream.subscribe({ complete: () => late.add(i), error: () => undefined }));
  expect([...late].sort((a, b) => a - b)).toEqual(all);
  expect(scheduler.live.size).toBe(0);
  return [new WeakRef(client), new WeakRef(conversation), new WeakRef(bob)];
}

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: SECRET }, pushSender: new MemoryPushSender(), rateLimit: { ratePerSecond: 10_000, burst: 10_000 } });
  for (const identity of ['alice', 'bob']) tokens.set(identity, await createAccessToken({ identity, keyId: KEY_ID, secret: SECRET }));
  const bob = connect('bob');
  await bob.whenSynchronized();
  await bob.shutdown();
  const alice = connect('alice');
  await alice.whenSynchronized();
  const conversation = await alice.createConversation({ friendlyName: 'leak check' });
  await conversation.add('bob');
  await conversation.sendMessage('hello');
  sid = conversation.sid;
  await alice.shutdown();
});

afterAll(async () => {
  await server.close();
});

describe('shutdown (ROBUST-2)', () => {
  it(`ROBUST-2: ${CYCLES} full clients observed like an app complete everything, leave no timer and are collected`, async () => {
    const refs: WeakRef<object>[] = [];
    let heapAfterFirst = 0;
    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      // In its own function: a suspended async frame may still hold the last iteration's locals.
      refs.push(...(await observeAndShutDown(cycle)));
      if (cycle === 0) heapAfterFirst = await retainedMb();
    }
    const heapAtEnd = await retainedMb();
    const retained = refs.filter((ref) => ref.deref() !== undefined).length;
    console.log(`shutdown: ${CYCLES} full clients; ${retained} of ${refs.length} clients and handles still reachable after gc; retained heap ${heapAfterFirst.toFixed(1)} MB after the first, ${heapAtEnd.toFixed(1)} MB after the last`);
    expect(retained).toBe(0);
    // A leaked client with its store and handles costs well over 50 KB: 99 of them would show.
    expect(heapAtEnd - heapAfterFirst).toBeLessThan(5);
  }, 60_000);

  it('ROBUST-2: after shutdown every method rejects with client_shut_down, also those the cache could answer', async () => {
    const client = connect('alice');
    await client.whenSynchronized();
    const conversation = await client.getConversationBySid(sid);
    const bob = await client.getUser('bob');
    await client.setPushRegistrationId('fcm', 'device-after');
    await conversation.typing();
    await client.shutdown();

    const shutDown = { code: 'client_shut_down' };
    await expect(client.getConversationBySid(sid)).rejects.toMatchObject(shutDown);
    await expect(client.getConversationByUniqueName('nothing')).rejects.toMatchObject(shutDown);
    await expect(client.getUser('bob')).rejects.toMatchObject(shutDown);
    await expect(bob.getState()).rejects.toMatchObject(shutDown);
    await expect(client.setPushRegistrationId('fcm', 'device-after')).rejects.toMatchObject(shutDown);
    await expect(client.removePushRegistrations('fcm', 'device-after')).rejects.toMatchObject(shutDown);
    await expect(client.whenSynchronized()).rejects.toMatchObject(shutDown);
    await expect(client.getSubscribedConversations()).rejects.toMatchObject(shutDown);
    await expect(client.updateMyUser({ friendlyName: 'x' })).rejects.toMatchObject(shutDown);
    await expect(client.updateToken(tokens.get('alice')!)).rejects.toMatchObject(shutDown);
    await expect(conversation.typing()).rejects.toMatchObject(shutDown);
    await expect(conversation.getMessagesCount()).rejects.toMatchObject(shutDown);
    await expect(conversation.getUnreadMessagesCount()).rejects.toMatchObject(shutDown);
    await expect(conversation.getParticipantsCount()).rejects.toMatchObject(shutDown);
    await expect(conversation.loadOlder()).rejects.toMatchObject(shutDown);
    await expect(conversation.sendMessage('x')).rejects.toMatchObject(shutDown);
    await expect(conversation.setAllMessagesRead()).rejects.toMatchObject(shutDown);
    await expect(client.conversation(sid).getMessages()).rejects.toMatchObject(shutDown);
    await expect(client.shutdown()).resolves.toBeUndefined();
  });
});
