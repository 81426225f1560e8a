import { describe, expect, it } from '@jest/globals';
import { TestScheduler } from 'rxjs/testing';
import { dedupeBy } from './dedupeBy.js';

const make = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('dedupeBy (STORE-13)', () => {
  it('drops items with a key already seen', () => {
    make().run(({ cold, expectObservable }) => {
      const values = { a: { k: 1 }, b: { k: 2 }, c: { k: 1 } };
      expectObservable(cold('abc|', values).pipe(dedupeBy((v) => v.k))).toBe('ab-|', values);
    });
  });

  it('lets a newer version of a seen key through', () => {
    make().run(({ cold, expectObservable }) => {
      const values = { a: { k: 1, v: 1 }, b: { k: 1, v: 2 }, c: { k: 1, v: 1 } };
      const result = cold('abc|', values).pipe(dedupeBy((x) => x.k, { isNewer: (n, s) => n.v > s.v }));
      expectObservable(result).toBe('ab-|', values);
    });
  });

  it('forgets keys when flushes emits', () => {
    make().run(({ cold, hot, expectObservable }) => {
      const values = { a: { k: 1 } };
      expectObservable(cold('a-a-a|', values).pipe(dedupeBy((v) => v.k, { flushes: hot('---x') }))).toBe('a---a|', values);
    });
  });
});
