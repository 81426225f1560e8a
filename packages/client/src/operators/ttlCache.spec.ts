import { describe, expect, it } from '@jest/globals';
import { Subject, defer, of, throwError, delay } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ttlCache } from './ttlCache.js';

const make = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('ttlCache (STORE-8, STORE-13)', () => {
  it('shares one in-flight fetch among subscribers and re-fetches every TTL while subscribed', () => {
    const ts = make();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fetch = cold('--(v|)');
      const source = defer(() => fetch.pipe(delay(0, ts))).pipe(ttlCache<string>(10, { scheduler: ts }));
      expectObservable(source, '^ 25ms !').toBe('--v 9ms v 9ms v', { v: 'v' });
      expectObservable(source, '-^ 25ms !').toBe('--v 9ms v 9ms v', { v: 'v' }); // the second subscriber shares the fetch in flight
      expectSubscriptions(fetch.subscriptions).toBe(['^-!', '10ms ^-!', '20ms ^-!']);
    });
  });

  it('hands a fresh value to a late subscriber without fetching', () => {
    const ts = make();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fetch = cold('-(v|)');
      const cache = fetch.pipe(ttlCache<string>(10, { scheduler: ts }));
      expectObservable(cache, '^--!').toBe('-v-', { v: 'v' });
      expectObservable(cache, '-----^-!').toBe('-----v--', { v: 'v' });
      expectSubscriptions(fetch.subscriptions).toBe(['^!']);
    });
  });

  it('invalidation early: a stale value is never handed out, and the refetch waits for the TTL spacing', () => {
    const ts = make();
    ts.run(({ hot, expectObservable }) => {
      let k = 0;
      const source = defer(() => {
        k++;
        return of(`v${k}`);
      });
      const invalidate = hot('--x');
      const cache = source.pipe(ttlCache<string>(10, { scheduler: ts, invalidate }));
      expectObservable(cache, '^!').toBe('a', { a: 'v1' });
      // Subscribes at 4 after the invalidation at 2: no cached value; the fetch starts at 10.
      expectObservable(cache, '----^ 8ms !').toBe('---------- a', { a: 'v2' });
    });
  });

  it('never fetches more often than the TTL, however many invalidations', () => {
    const ts = make();
    ts.run(({ expectObservable }) => {
      let k = 0;
      const inv = new Subject<void>();
      const cache = defer(() => of(++k)).pipe(ttlCache<number>(10, { scheduler: ts, invalidate: inv }));
      ts.schedule(() => inv.next(), 1);
      ts.schedule(() => inv.next(), 3);
      ts.schedule(() => inv.next(), 12);
      expectObservable(cache, '^ 25ms !').toBe('a 9ms b 9ms c', { a: 1, b: 2, c: 3 });
    });
  });

  it('a failing first fetch errors waiting subscribers; the next subscriber tries again', () => {
    const ts = make();
    ts.run(({ expectObservable }) => {
      let k = 0;
      const cache = defer(() => (++k === 1 ? throwError(() => 'boom') : of('ok'))).pipe(ttlCache<string>(10, { scheduler: ts }));
      expectObservable(cache).toBe('#', undefined, 'boom');
      expectObservable(cache, '10ms ^ 5ms !').toBe('10ms a', { a: 'ok' });
    });
  });

  it('ROBUST-2: `until` completes every subscriber, stops the TTL timer, and completes later subscribers at once', () => {
    const ts = make();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const fetch = cold('-(v|)');
      const until = hot('-----x');
      const cache = fetch.pipe(ttlCache<string>(3, { scheduler: ts, until }));
      expectObservable(cache).toBe('-v--v|', { v: 'v' });
      expectObservable(cache, '-------^').toBe('-------|');
      // Fetched at 0 and 3; nothing after the end at 5, although the TTL would fetch again at 6.
      expectSubscriptions(fetch.subscriptions).toBe(['^!', '---^!']);
    });
  });

  it('ROBUST-3: a `known` value goes to every subscriber at once, counts as fetched, and wins over a fetch in flight', () => {
    const ts = make();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const fetch = cold('---(v|)');
      const known = hot('-----k-------K', { k: 'k', K: 'K' });
      const cache = fetch.pipe(ttlCache<string>(6, { scheduler: ts, known }));
      // Fetched at 0 (v at 3); k at 5 resets the age, so the next fetch is at 11, not 6; it is in flight
      // when K arrives at 13, so its answer (14) is not used.
      expectObservable(cache, '^ 16ms !').toBe('---v-k-------K', { v: 'v', k: 'k', K: 'K' });
      expectSubscriptions(fetch.subscriptions).toBe(['^--!', '11ms ^--!']);
    });
  });
});
