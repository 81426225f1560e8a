import { describe, expect, it } from '@jest/globals';
import { TestScheduler } from 'rxjs/testing';
import { mergePagesWithLive, type LiveChange } from './mergePagesWithLive.js';

interface Item {
  readonly id: string;
  readonly v: number;
}
const make = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const opts = { key: (i: Item) => i.id, version: (i: Item) => i.v, compare: (a: Item, b: Item) => a.id.localeCompare(b.id) };
const a1 = { id: 'a', v: 1 };
const a2 = { id: 'a', v: 2 };
const b1 = { id: 'b', v: 1 };
const c1 = { id: 'c', v: 1 };

describe('mergePagesWithLive (STORE-13, STORE-2, STORE-5)', () => {
  it('merges pages and live upserts, de-duplicated and sorted', () => {
    make().run(({ cold, hot, expectObservable }) => {
      const live = hot<LiveChange<Item, string>>('-u--', { u: { type: 'upsert', item: c1 } });
      const pages = cold<readonly Item[]>('--p-q', { p: [a1, b1], q: [c1] });
      expectObservable(pages.pipe(mergePagesWithLive(live, opts))).toBe('-xy--', { x: [c1], y: [a1, b1, c1] });
    });
  });

  it('a page read before a live update does not overwrite it', () => {
    make().run(({ cold, hot, expectObservable }) => {
      const live = hot<LiveChange<Item, string>>('-u', { u: { type: 'upsert', item: a2 } });
      const pages = cold<readonly Item[]>('--p', { p: [a1, b1] });
      expectObservable(pages.pipe(mergePagesWithLive(live, opts))).toBe('-xy', { x: [a2], y: [a2, b1] });
    });
  });

  it('a removal is a tombstone: a stale page cannot resurrect the item', () => {
    make().run(({ cold, hot, expectObservable }) => {
      const live = hot<LiveChange<Item, string>>('-r', { r: { type: 'remove', key: 'a' } });
      const pages = cold<readonly Item[]>('--p', { p: [a1] });
      expectObservable(pages.pipe(mergePagesWithLive(live, opts))).toBe('--y', { y: [] });
    });
  });
});
