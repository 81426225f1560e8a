/**
 * An app-level example: a small service of the kind an Angular app has, tested against the real
 * `ConversationsClient` running on the FakeServer (no network), with client timers in virtual time.
 */
import { ConversationsClient } from '@rx-conversations/client';
import { combineLatest, distinctUntilChanged, filter, firstValueFrom, map, of, switchMap, timeout, type Observable } from 'rxjs';
import { FakeServer, createVirtualClock, type VirtualClock } from '../src/index.js';

/** The service under test: what the app's inbox badge and composer use. */
class InboxService {
  /** Unread messages over all conversations the user is in. */
  readonly unreadTotal$: Observable<number>;

  constructor(private readonly client: ConversationsClient) {
    this.unreadTotal$ = client.conversations$.pipe(
      switchMap((conversations) =>
        conversations.length === 0
          ? of(0)
          : combineLatest(conversations.map((c) => client.conversation(c.sid).unreadMessagesCount$)).pipe(
              map((counts) => counts.reduce((sum: number, n) => sum + (n ?? 0), 0)),
            ),
      ),
      distinctUntilChanged(),
    );
  }

  send(sid: string, text: string): Promise<unknown> {
    return this.client.conversation(sid).sendMessage(text);
  }
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

  it('STORE-8: a message from bob raises alice\'s unread total', async () => {
    const inbox = new InboxService(client);
    await waitFor(inbox.unreadTotal$, (n) => n === 0, 'unread 0');
    await fake.as('bob').send(sid, 'are you there?');
    await clock.tick(1_000);
    await waitFor(inbox.unreadTotal$, (n) => n === 1, 'unread 1');
    await fake.as('bob').send(sid, 'hello?');
    await clock.tick(1_000);
    await waitFor(inbox.unreadTotal$, (n) => n === 2, 'unread 2');
  });

  it('STORE-7: alice\'s message shows as sending, then as sent with its index', async () => {
    const inbox = new InboxService(client);
    const messages$ = client.conversation(sid).messages$;
    fake.pause(); // the server receives the send but its reply is held
    const sent = inbox.send(sid, 'on my way');
    await waitFor(messages$, (ms) => ms.some((m) => m.body === 'on my way' && m.status === 'sending'), 'sending');
    expect((await fake.nextRequest('messages.send')).args).toMatchObject({ sid, body: 'on my way' });
    fake.resume();
    await sent;
    const mine = (await firstValueFrom(messages$)).filter((m) => m.body === 'on my way');
    expect(mine).toEqual([expect.objectContaining({ status: 'sent', index: 1, author: 'alice' })]);
  });

  it('CONN-5: after a dropped connection the client resumes with nothing lost or duplicated', async () => {
    const messages$ = client.conversation(sid).messages$;
    const bodies$ = messages$.pipe(map((ms) => ms.map((m) => m.body)));
    await fake.as('bob').send(sid, 'before the drop');
    await clock.tick();
    await waitFor(bodies$, (b) => b.includes('before the drop'), 'live message');

    fake.dropConnections();
    await clock.tick();
    await fake.as('bob').send(sid, 'missed 1');
    await fake.as('bob').send(sid, 'missed 2');
    const queued = new InboxService(client).send(sid, 'sent while offline');
    await clock.tick(10_000); // backoff fires; the client reconnects and resumes
    await waitFor(client.connectionState$, (s) => s === 'connected', 'connected');
    await queued;

    const bodies = await waitFor(bodies$, (b) => b.includes('sent while offline') && b.includes('missed 2'), 'replayed messages');
    expect(bodies.filter((b) => b !== 'welcome')).toEqual(['before the drop', 'missed 1', 'missed 2', 'sent while offline']);
    expect(fake.connections.map((c) => c.resume)).toEqual(['fresh', 'resumed']);
    expect(fake.state.messages(sid).filter((m) => m.body === 'sent while offline')).toHaveLength(1);
  });

  it('STORE-7: a send whose reply is lost in a drop is re-sent with its key and stored once', async () => {
    fake.pause();
    const sent = new InboxService(client).send(sid, 'exactly once');
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
