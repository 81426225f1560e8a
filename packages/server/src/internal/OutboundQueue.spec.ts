import { describe, expect, it } from '@jest/globals';
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
});
