import { describe, expect, it } from '@jest/globals';
import { TestScheduler } from 'rxjs/testing';
import { whenSynchronized } from './whenSynchronized.js';
import { ConversationsError } from '../ConversationsError.js';

const make = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('whenSynchronized (STORE-13, CONN-6)', () => {
  it('emits once and completes at completed', () => {
    make().run(({ cold, expectObservable }) => {
      const s = cold('abc-', { a: 'started', b: 'conversationsListCompleted', c: 'completed' } as const);
      expectObservable(s.pipe(whenSynchronized())).toBe('--(x|)', { x: undefined });
    });
  });

  it('errors at failed', () => {
    make().run(({ cold, expectObservable }) => {
      const s = cold('ab-', { a: 'started', b: 'failed' } as const);
      expectObservable(s.pipe(whenSynchronized())).toBe('-#', undefined, expect.any(ConversationsError));
    });
  });
});
