/**
 * The client-free samples of docs/guides/testing.md, kept compiling and passing here. (The samples
 * that drive a ConversationsClient are in appService.spec.ts.)
 */
import type { Conversation } from '@rx-conversations/protocol';
import { distinctUntilChanged, fromEvent, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { FakeServer, aConversation, createVirtualClock, resetFactories } from '../src/index.js';

/** Lets microtask-delivered frames flow. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

// ── "Pure view logic: factories and marbles" ──
function unreadBadge(conversations$: Observable<readonly Conversation[]>): Observable<number> {
  return conversations$.pipe(
    map((list) => list.reduce((sum, c) => sum + (c.membership?.unreadMessagesCount ?? 0), 0)),
    distinctUntilChanged(),
  );
}

describe('docs/guides/testing.md samples', () => {
  beforeEach(() => resetFactories());

  it('STORE-1: unreadBadge sums unread counts and emits only on change', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ cold, expectObservable }) => {
      const general = aConversation({ membership: { unreadMessagesCount: 1 } });
      const random = aConversation({ membership: { unreadMessagesCount: 2 } });
      const muted = aConversation({ membership: null });
      const conversations$ = cold('a-b-c', { a: [general], b: [general, random], c: [general, random, muted] });
      expectObservable(unreadBadge(conversations$)).toBe('x-y--', { x: 1, y: 3 });
    });
  });

  // ── "Speaking the protocol directly" ──
  it('SRV-3: a raw socket sees bob\'s message live', async () => {
    const fake = new FakeServer();
    const [general] = fake.seed({ conversations: [{ friendlyName: 'General', participants: ['alice', 'bob'] }] });
    const socket = new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);
    const kinds: string[] = [];
    socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 2 }));
    socket.onmessage = (event) => {
      const frames = [JSON.parse(String(event.data))].flat() as { type: string; kind?: string }[];
      kinds.push(...frames.map((f) => f.kind ?? f.type));
    };
    await settle(); // let the handshake flow (delivery is by microtask)
    await fake.as('bob').send(general!.sid, 'hi');
    await settle();
    expect(kinds).toEqual(['welcome', 'messageAdded']);
    fake.close();
  });

  // ── "Everything in virtual time" ──
  it('CONN-4: a stalled network is visible in virtual time', () => {
    const clock = createVirtualClock();
    const fake = new FakeServer({ scheduler: clock.scheduler });
    const socket = new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);
    const received: number[] = [];
    socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 2 }));
    socket.onmessage = () => received.push(clock.now());
    clock.flush(); // open, hello, welcome: all at t = 0
    fake.pause();
    clock.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'ping' })), 4_000);
    clock.advanceBy(9_000);
    expect(received).toEqual([0]); // the pong is held: a client would call this socket dead
    fake.resume();
    clock.flush();
    expect(received).toEqual([0, 9_000]);
  });

  // ── "Marbles with TestScheduler.run" ──
  it('CONN-3: a FakeServer on the TestScheduler delivers in marble time', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const fake = new FakeServer({ scheduler: testScheduler });
      const socket = new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);
      testScheduler.schedule(() => fake.dropConnections(), 100);
      const closes$ = fromEvent(socket, 'close').pipe(map((event) => (event as CloseEvent).code));
      expectObservable(closes$, '^ 200ms !').toBe('100ms c', { c: 1006 });
    });
  });
});
