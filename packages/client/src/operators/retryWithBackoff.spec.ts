import { describe, expect, it } from '@jest/globals';
import { TestScheduler } from 'rxjs/testing';
import { retryWithBackoff } from './retryWithBackoff.js';

const make = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const base = { initialDelayMs: 10, maxDelayMs: 40, multiplier: 2, jitter: 0, random: () => 0 };

describe('retryWithBackoff (STORE-13)', () => {
  it('re-subscribes after backoff delays and gives up after maxRetries', () => {
    const ts = make();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a#');
      const result = source.pipe(retryWithBackoff({ ...base, maxRetries: 2, scheduler: ts, resetOnValue: false }));
      // 1st try at 0 (fails at 1), retry after 10 → 11, fails at 12, retry after 20 → 32, fails at 33.
      expectObservable(result).toBe('a 10ms a 20ms a#');
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!']);
    });
  });

  it('does not retry errors shouldRetry refuses', () => {
    const ts = make();
    ts.run(({ cold, expectObservable }) => {
      const result = cold('-#', undefined, 'fatal').pipe(retryWithBackoff({ ...base, scheduler: ts, shouldRetry: (e) => e !== 'fatal' }));
      expectObservable(result).toBe('-#', undefined, 'fatal');
    });
  });

  it('resets the attempt count after a value and releases its timer on unsubscribe', () => {
    const ts = make();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a#');
      const result = source.pipe(retryWithBackoff({ ...base, scheduler: ts }));
      expectObservable(result, '^ 30ms !').toBe('a 10ms a 10ms a');
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '22ms ^!']);
    });
  });
});
