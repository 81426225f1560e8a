/**
 * An app-level example: a small service of the kind an Angular app has, tested against the real
 * `ConversationsClient` running on the FakeServer (no network), with client timers in virtual time.
 * These are the samples of docs/guides/testing.md §8; keep the two in step.
 */
import { ConversationsClient } from '@rx-conversations/client';
import { distinctUntilChanged, filter, firstValueFrom, map, timeout, type Observable } from 'rxjs';
import { FakeServer, createVirtualClock, type VirtualClock } from '../src/index.js';

/** The service under test: what the app's inbox badge and composer use. */
class InboxService {
  /**
   * Unread messages over all conversations the user is in. Each conversation's
   * `membership.unreadMessagesCount` is kept current from live events, so the badge moves at once;
   * the handles' `unreadMessagesCount$` counters are TTL-cached server reads (STORE-8), too slow for it.
   */
  readonly unreadTotal$: Observable<number>;

  constructor(private readonly client: ConversationsClient) {
    this.unreadTotal$ = client.conversations$.pipe(
      map((conversations) => conversations.reduce((sum, c) => sum + (c.membership?.unreadMessagesCount ?? 0), 0)),
      distinctUntilChanged(),
    );
  }

  send(sid: string, text: string): Promise<unknown> {
    return this.client.conversation(sid).sendMessage(text);
  }

  markAllRead(sid: string): Promise<unknown> {
    return this.client.conversation(sid).setAllMessagesRead();
  }
}

/**
 * Marks a promise that the test awaits later as handled, so that when the test fails before that
 * `await`, `shutdown()` rejecting it is not an unhandled rejection that kills the test run.
 */
function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Waits (in real time, bounded) for the first value matching `predicate`. */
function waitFor<T>(source: Observable<T>, predicate: (value: T) => boolean, label: string): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate), timeout({ first: 3_000, with: () => { throw new Error(`timed out waiting for ${label}`); } })));
}

describe('InboxService on the FakeServer', () => {
  let fake: FakeServer;
  let clock: VirtualClock;
  let client: ConversationsClient;
  let sid: string;

  beforeEach(async () => {
    fake = new FakeServer();
    clock = createVirtualClock({ startTime: Date.UTC(2025, 0, 1) });
    const [general] = fake.seed({
      conversations: [{ friendlyName: 'General', participants: ['alice', 'bob'], messages: [{ author: 'bob', body: 'welcome' }], lastRead: { alice: 0 } }],
    });
    sid = general!.sid;
    client = new ConversationsClient(fake.tokenFor('alice'), {
      url: fake.url,
      WebSocket: fake.WebSocket,
      fetch: fake.fetch,
      scheduler: clock.scheduler,
      platform: null,
    });
    await clock.tick();
    await client.whenSynchronized();
  });

  afterEach(async () => {
    await client.shutdown();
    fake.close();
  });

  it('STORE-2: a message from bob raises alice\'s unread total at once; reading clears it', async () => {
    const inbox = new InboxService(client);
    await waitFor(inbox.unreadTotal$, (n) => n === 0, 'unread 0');
    await fake.as('bob').send(sid, 'are you there?');
    await waitFor(inbox.unreadTotal$, (n) => n === 1, 'unread 1');
    await fake.as('bob').send(sid, 'hello?');
    await waitFor(inbox.unreadTotal$, (n) => n === 2, 'unread 2');
    await fake.as('alice').send(sid, 'yes!'); // alice on another device: her own messages are never unread
    await waitFor(client.conversation(sid).state$, (c) => c?.lastMessageIndex === 3, 'alice\'s own message');
    expect(await firstValueFrom(inbox.unreadTotal$)).toBe(2);
    await inbox.markAllRead(sid);
    expect(await firstValueFrom(inbox.unreadTotal$)).toBe(0); // read-your-writes: no waiting after await
    expect(fake.state.conversation(sid, 'alice')?.membership).toMatchObject({ lastReadMessageIndex: 3, unreadMessagesCount: 0 });
  });

  it('STORE-8, ROBUST-3: a new message moves the unread counter at once; a removal makes it stale until its TTL (10 s) has passed', async () => {
    const counter$ = client.conversation(sid).unreadMessagesCount$;
    const countsRequests = () => fake.requests.filter((r) => r.op === 'conversations.counts').length;
    const seen: number[] = [];
    const subscription = counter$.subscribe((n) => seen.push(n));
    await waitFor(counter$, (n) => n === 0, 'first count'); // shares the subscription's request
    await fake.as('bob').send(sid, 'are you there?');
    await waitFor(counter$, (n) => n === 1, 'counted at once');
    const second = await fake.as('bob').send(sid, 'hello?');
    await waitFor(counter$, (n) => n === 2, 'counted at once');
    expect([seen, countsRequests()]).toEqual([[0, 1, 2], 1]); // the store counted them: no request
    await fake.as('bob').removeMessage(sid, second.index);
    await clock.tick(9_999);
    expect([seen, countsRequests()]).toEqual([[0, 1, 2], 1]); // a removal only marks the cached value stale
    await clock.tick(1);
    await waitFor(counter$, (n) => n === 1, 'refreshed count');
    expect([seen, countsRequests()]).toEqual([[0, 1, 2, 1], 2]);
    subscription.unsubscribe();
  });

  it('STORE-7: alice\'s message shows as sending, then as sent with its index', async () => {
    const inbox = new InboxService(client);
    const messages$ = client.conversation(sid).messages$;
    fake.pause(); // the server receives the send but its reply is held
    const request = awaitedLater(fake.nextRequest('messages.send')); // before sending: it sees only requests to come
    const sent = awaitedLater(inbox.send(sid, 'on my way'));
    await waitFor(messages$, (ms) => ms.some((m) => m.body === 'on my way' && m.status === 'sending'), 'sending');
    expect((await request).args).toMatchObject({ sid, body: 'on my way' });
    fake.resume();
    await sent;
    const mine = (await firstValueFrom(messages$)).filter((m) => m.body === 'on my way');
    expect(mine).toEqual([expect.objectContaining({ status: 'sent', index: 1, author: 'alice' })]);
  });

  it('CONN-5: after a dropped connection the client resumes with nothing lost or duplicated', async () => {
    const conversation = client.conversation(sid);
    const bodies$ = conversation.messages$.pipe(map((ms) => ms.map((m) => m.body)));
    await conversation.loadOlder(); // history is loaded on demand; live messages then append to it
    await fake.as('bob').send(sid, 'before the drop');
    await waitFor(bodies$, (b) => b.includes('before the drop'), 'live message');

    fake.dropConnections();
    await clock.tick();
    await fake.as('bob').send(sid, 'missed 1');
    await fake.as('bob').send(sid, 'missed 2');
    const queued = awaitedLater(new InboxService(client).send(sid, 'sent while offline'));
    await clock.tick(10_000); // backoff fires; the client reconnects and resumes
    await waitFor(client.connectionState$, (s) => s === 'connected', 'connected');
    await queued;

    const bodies = await waitFor(bodies$, (b) => b.includes('sent while offline') && b.includes('missed 2'), 'replayed messages');
    expect(bodies).toEqual(['welcome', 'before the drop', 'missed 1', 'missed 2', 'sent while offline']);
    expect(fake.connections.map((c) => c.resume)).toEqual(['fresh', 'resumed']);
    expect(fake.state.messages(sid).filter((m) => m.body === 'sent while offline')).toHaveLength(1);
  });

  it('STORE-7: a send whose reply is lost in a drop is re-sent with its key and stored once', async () => {
    fake.pause();
    const sent = awaitedLater(new InboxService(client).send(sid, 'exactly once'));
    await fake.nextRequest('messages.send'); // processed by the server, reply held …
    fake.dropConnections(); // … and lost
    fake.resume();
    await clock.tick(10_000);
    await sent;
    const sends = fake.requests.filter((r) => r.op === 'messages.send');
    expect(sends).toHaveLength(2);
    expect(sends[1]!.args).toEqual(sends[0]!.args);
    expect(fake.state.messages(sid).map((m) => m.body)).toEqual(['welcome', 'exactly once']);
  });
});
