import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { OutboundQueue } from './OutboundQueue.js';

function sink(bufferedAmount = 0) {
  const sent: string[] = [];
  return { sent, bufferedAmount, send: (data: string) => void sent.push(data) };
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('OutboundQueue (PERF-2)', () => {
  it('PERF-2: one frame queued in a tick is sent as itself', async () => {
    const s = sink();
    const queue = new OutboundQueue(s, 1000, () => undefined);
    queue.enqueue('{"a":1}');
    expect(s.sent).toEqual([]);
    await nextTick();
    expect(s.sent).toEqual(['{"a":1}']);
  });

  it('PERF-2: several frames queued in a tick leave as one JSON array, in order', async () => {
    const s = sink();
    const queue = new OutboundQueue(s, 1000, () => undefined);
    for (let i = 0; i < 3; i++) queue.enqueue(`{"i":${i}}`);
    await nextTick();
    expect(s.sent).toHaveLength(1);
    expect(JSON.parse(s.sent[0]!)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
  });

  it('PERF-2: a very long burst is split into several arrays that keep the order', async () => {
    const s = sink();
    const queue = new OutboundQueue(s, 1e12, () => undefined);
    const frame = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(1000) });
    for (let i = 0; i < 2000; i++) queue.enqueue(frame(i));
    await nextTick();
    expect(s.sent.length).toBeGreaterThan(1);
    const all = s.sent.flatMap((m) => {
      const v = JSON.parse(m) as unknown;
      return Array.isArray(v) ? v : [v];
    }) as Array<{ i: number }>;
    expect(all.map((f) => f.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('SRV-5: above maxBufferedBytes nothing is sent, the slow-consumer callback runs once and the queue stops', async () => {
    const s = sink(5000);
    let slow = 0;
    const queue = new OutboundQueue(s, 1000, () => (slow += 1));
    queue.enqueue('{}');
    await nextTick();
    queue.enqueue('{}');
    await nextTick();
    expect(s.sent).toEqual([]);
    expect(slow).toBe(1);
  });

  describe('a resume backlog (SRV-5)', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    /** A socket whose buffer grows with each send and empties only when the test says the peer read. */
    function socket() {
      const sent: string[] = [];
      const s = { sent, bufferedAmount: 0, send: (data: string) => void (sent.push(data), (s.bufferedAmount += data.length)), read: () => void (s.bufferedAmount = 0) };
      return s;
    }
    const unpack = (messages: string[]) => messages.flatMap((m) => [JSON.parse(m) as unknown].flat()) as Array<{ i: number }>;

    it('SRV-5: a backlog far above the bound leaves at the reader pace, with later frames behind it in order, and the reader is not cut', () => {
      jest.useFakeTimers();
      const s = socket();
      let slow = 0;
      const queue = new OutboundQueue(s, 10_000, () => (slow += 1));
      const frame = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(100) });
      queue.enqueue(frame(0));
      queue.enqueueBacklog(Array.from({ length: 999 }, (_, i) => frame(i + 1)));
      queue.enqueue(frame(1000));
      jest.advanceTimersByTime(0);
      // Only about half the bound went out: the rest waits for the reader.
      expect(s.bufferedAmount).toBeLessThan(10_000);
      for (let round = 0; round < 1000 && unpack(s.sent).length < 1001; round++) {
        s.read();
        jest.advanceTimersByTime(5);
      }
      expect(slow).toBe(0);
      expect(unpack(s.sent).map((f) => f.i)).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    });

    it('SRV-5: a backlog of 300,000 frames (a long retention) is taken whole, in order', () => {
      jest.useFakeTimers();
      const s = socket();
      const queue = new OutboundQueue(s, 64 * 1024 * 1024, () => undefined);
      const frames = Array.from({ length: 300_000 }, (_, i) => `{"i":${i}}`);
      expect(() => queue.enqueueBacklog(frames)).not.toThrow();
      for (let round = 0; round < 100 && unpack(s.sent).length < frames.length; round++) {
        s.read();
        jest.advanceTimersByTime(5);
      }
      const got = unpack(s.sent).map((f) => f.i);
      expect(got).toHaveLength(frames.length);
      expect(got.every((i, n) => i === n)).toBe(true);
    });

    it('SRV-5: a reader that stops during its backlog is cut once what waits behind it passes the bound', () => {
      jest.useFakeTimers();
      const s = socket();
      let slow = 0;
      const queue = new OutboundQueue(s, 10_000, () => (slow += 1));
      queue.enqueueBacklog(Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(100) })));
      jest.advanceTimersByTime(0);
      const written = s.sent.length;
      for (let i = 0; i < 200 && slow === 0; i++) {
        queue.enqueue(JSON.stringify({ live: i, pad: 'y'.repeat(100) }));
        jest.advanceTimersByTime(5);
      }
      expect(slow).toBe(1);
      expect(s.sent).toHaveLength(written);
    });
  });
});
