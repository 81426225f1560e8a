import { describe, expect, it } from '@jest/globals';
import { TestScheduler } from 'rxjs/testing';
import { coalesceLarge } from './coalesceLarge.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Values are window sizes; a size above 10 waits `size` ms for later values. */
const delayOf = (size: number) => (size > 10 ? size : 0);

describe('coalesceLarge (messages$ pacing, PERF-2)', () => {
  it('passes small values and the first value at once, and holds a burst of large ones for their delay', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d-e 40ms f', { a: 30, b: 5, c: 30, d: 40, e: 50, f: 6 });
      // a: first, at once; b: small, at once; c starts a 30 ms hold, d and e join it; the latest (e) at 34;
      // f: small, at once.
      expectObservable(source.pipe(coalesceLarge(delayOf, s))).toBe('a-b 31ms e 14ms f', { a: 30, b: 5, e: 50, f: 6 });
    });
  });

  it('a small value ends a hold at once, and a flush emits the held value (read-your-writes, STORE-6)', () => {
    const s = scheduler();
    s.run(({ cold, hot, expectObservable }) => {
      const source = cold('a-b-c 10ms d-e', { a: 30, b: 30, c: 5, d: 30, e: 40 });
      const flushes = hot('-------------------x');
      expectObservable(source.pipe(coalesceLarge(delayOf, s, flushes))).toBe('a---c 10ms ----e', { a: 30, c: 5, e: 40 });
    });
  });

  it('emits the held value when the source completes', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b|', { a: 30, b: 40 }).pipe(coalesceLarge(delayOf, s))).toBe('a--(b|)', { a: 30, b: 40 });
    });
  });
});
