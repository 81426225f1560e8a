import { fromEvent, interval, map, take, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createVirtualClock } from './createVirtualClock.js';
import { FakeServer } from './FakeServer.js';

describe('createVirtualClock', () => {
  it('CONN-3: advanceBy runs exactly the actions due, in time order, and moves the clock', () => {
    const clock = createVirtualClock();
    const seen: string[] = [];
    timer(300, clock.scheduler).subscribe(() => seen.push(`b@${clock.now()}`));
    timer(100, clock.scheduler).subscribe(() => seen.push(`a@${clock.now()}`));
    clock.advanceBy(299);
    expect([seen, clock.now()]).toEqual([['a@100'], 299]);
    clock.advanceBy(1);
    expect(seen).toEqual(['a@100', 'b@300']);
    expect(clock.pending).toBe(0);
  });

  it('CONN-4: periodic timers (heartbeats) never make advancing loop forever', () => {
    const clock = createVirtualClock({ startTime: 1_000 });
    const ticks: number[] = [];
    const sub = interval(4_000, clock.scheduler).subscribe(() => ticks.push(clock.now()));
    clock.advanceTo(13_000);
    expect(ticks).toEqual([5_000, 9_000, 13_000]);
    clock.flush();
    expect(ticks).toHaveLength(3);
    sub.unsubscribe();
    expect(clock.pending).toBe(0);
  });

  it('refuses to move backwards', () => {
    const clock = createVirtualClock();
    clock.advanceBy(10);
    expect(() => clock.advanceTo(5)).toThrow(RangeError);
  });

  it('tick lets promise callbacks run between due times', async () => {
    const clock = createVirtualClock();
    const seen: number[] = [];
    // a retry loop that awaits between timers, the shape of reconnect-after-await code
    const wait = (ms: number) => new Promise<void>((resolve) => clock.scheduler.schedule(() => resolve(), ms));
    void (async () => {
      for (let i = 0; i < 3; i += 1) {
        await wait(100);
        seen.push(clock.now());
      }
    })();
    clock.advanceBy(300);
    expect(seen).toEqual([]); // only the first timer existed; its continuation had not run yet
    const again = createVirtualClock();
    const seenAgain: number[] = [];
    const waitAgain = (ms: number) => new Promise<void>((resolve) => again.scheduler.schedule(() => resolve(), ms));
    void (async () => {
      for (let i = 0; i < 3; i += 1) {
        await waitAgain(100);
        seenAgain.push(again.now());
      }
    })();
    await again.tick(300);
    expect(seenAgain).toEqual([100, 200, 300]);
  });

  it('drives a FakeServer: nothing is delivered until the clock runs', async () => {
    const clock = createVirtualClock();
    const fake = new FakeServer({ scheduler: clock.scheduler });
    const socket = new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);
    const types: string[] = [];
    socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 2 }));
    socket.onmessage = (event) => types.push(JSON.parse(String(event.data)).type);
    await Promise.resolve();
    expect(socket.readyState).toBe(socket.CONNECTING);
    clock.flush();
    expect([socket.readyState, types]).toEqual([socket.OPEN, ['welcome']]);
    expect(fake.state.user('alice')?.isOnline).toBe(true);
  });

  it('CONN-7: with tokenTimers the fake sends the notice and expires the token in virtual time', () => {
    const clock = createVirtualClock({ startTime: Date.UTC(2025, 0, 1) });
    const fake = new FakeServer({ scheduler: clock.scheduler, tokenTimers: true });
    const socket = new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice', { ttlSeconds: 600 })}`]);
    const seen: string[] = [];
    socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 2 }));
    socket.onmessage = (event) => seen.push(`${JSON.parse(String(event.data)).type}`);
    socket.onclose = (event) => seen.push(`close ${event.code}`);
    clock.flush();
    clock.advanceBy(420_000 - 1);
    expect(seen).toEqual(['welcome']);
    clock.advanceBy(1);
    expect(seen).toEqual(['welcome', 'notice']);
    clock.advanceBy(180_000);
    expect(seen).toEqual(['welcome', 'notice', 'close 4001']);
  });
});

describe('conversation state timers in the test kit (PARITY-1)', () => {
  it('PARITY-1: the FakeServer moves a conversation to inactive and closed in virtual time, through the shared core', async () => {
    const clock = createVirtualClock({ startTime: Date.UTC(2025, 0, 1) });
    const fake = new FakeServer({ scheduler: clock.scheduler });
    const alice = fake.as('alice');
    const created = alice.request('conversations.create', { timers: { inactive: 'PT1M', closed: 'PT10M' } });
    clock.flush();
    const { sid } = await created;
    const stateAt = async (): Promise<string> => {
      const read = alice.request('conversations.get', { sid });
      clock.flush();
      return (await read).state.current;
    };
    clock.advanceBy(60_000 - 1);
    expect(await stateAt()).toBe('active');
    clock.advanceBy(1);
    expect(await stateAt()).toBe('inactive');
    clock.advanceBy(9 * 60_000);
    expect(await stateAt()).toBe('closed');
    fake.close();
  });
});

describe('TestScheduler interop', () => {
  it('a FakeServer on a TestScheduler delivers in marble time', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    testScheduler.run(({ expectObservable }) => {
      const fake = new FakeServer({ scheduler: testScheduler });
      const [general] = fake.seed({ conversations: [{ participants: ['alice', 'bob'] }] });
      const socket = new fake.WebSocket(fake.url, ['rxc.v1', `rxc.auth.${fake.tokenFor('alice')}`]);
      socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', v: 2 }));
      testScheduler.schedule(() => void fake.as('bob').send(general!.sid, 'hi'), 5);
      testScheduler.schedule(() => fake.dropConnections(), 8);
      const kinds$ = fromEvent(socket, 'message').pipe(
        map((event) => JSON.parse(String((event as MessageEvent).data)) as { type: string; kind?: string }),
        map((frame) => frame.kind ?? frame.type),
        take(2),
      );
      expectObservable(kinds$).toBe('a 4ms (b|)', { a: 'welcome', b: 'messageAdded' });
      expectObservable(fromEvent(socket, 'close').pipe(map((event) => (event as CloseEvent).code), take(1))).toBe('8ms (c|)', { c: 1006 });
    });
  });
});
