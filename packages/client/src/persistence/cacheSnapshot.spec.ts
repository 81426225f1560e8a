import { describe, expect, it } from '@jest/globals';
import { conv, msg } from '../../test/fixtures.js';
import { reduceBatch } from '../internal/store/rootReducer.js';
import { initialStoreState } from '../internal/store/StoreState.js';
import { CACHE_BOUNDS, CACHE_SCHEMA_VERSION, cacheOf, decodeSnapshot, encodeSnapshot, type CacheSnapshot } from './cacheSnapshot.js';

const withConversations = (n: number) =>
  reduceBatch(initialStoreState, [{ type: 'conversationsPageLoaded', items: Array.from({ length: n }, (_, i) => conv(`c${i}`, { lastMessageAt: i })), asOfSeq: 1 }], 'alice');

describe('cacheSnapshot (OFFLINE-1)', () => {
  it('OFFLINE-1: a list longer than the bound is not cached at all (a part would be misread as the whole)', () => {
    expect(cacheOf(withConversations(CACHE_BOUNDS.conversations), 9)?.conversations).toHaveLength(CACHE_BOUNDS.conversations);
    expect(cacheOf(withConversations(CACHE_BOUNDS.conversations + 1), 9)).toBeNull();
  });

  it('OFFLINE-1: a window keeps its newest messages only, and says older ones exist', () => {
    const messages = Array.from({ length: 120 }, (_, i) => msg('c1', i));
    const state = reduceBatch(withConversations(2), [
      { type: 'messagesPageLoaded', conversationSid: 'c1', items: messages, direction: 'backwards', reset: true, hasMore: false, anchor: null, asOfSeq: 1 },
    ], 'alice');
    const [window] = cacheOf(state, 9)!.windows;
    expect(window!.messages.map((m) => m.index)).toEqual(Array.from({ length: CACHE_BOUNDS.messagesPerWindow }, (_, i) => 120 - CACHE_BOUNDS.messagesPerWindow + i));
    expect(window!.hasOlder).toBe(true);
  });

  it('OFFLINE-1: a snapshot too large to store keeps its outbox only', () => {
    const big: CacheSnapshot = {
      v: CACHE_SCHEMA_VERSION, identity: 'alice', url: 'ws://x',
      cache: { position: 1, user: null, conversations: [conv('c1', { attributes: { blob: 'x'.repeat(CACHE_BOUNDS.chars) } })], windows: [] },
      outbox: [],
    };
    expect(JSON.parse(encodeSnapshot(big))).toEqual({ ...big, cache: null });
  });

  it('OFFLINE-1: another version, identity or server, or no JSON at all, is refused with the reason', () => {
    const good: CacheSnapshot = { v: CACHE_SCHEMA_VERSION, identity: 'alice', url: 'ws://x', cache: null, outbox: [] };
    expect(decodeSnapshot(JSON.stringify(good), 'alice', 'ws://x')).toEqual(good);
    expect(decodeSnapshot(JSON.stringify({ ...good, v: 0 }), 'alice', 'ws://x')).toMatch(/schema version 0/);
    expect(decodeSnapshot(JSON.stringify(good), 'bob', 'ws://x')).toMatch(/another identity/);
    expect(decodeSnapshot(JSON.stringify(good), 'alice', 'ws://y')).toMatch(/another identity or server/);
    expect(decodeSnapshot('{"v":', 'alice', 'ws://x')).toMatch(/not JSON/);
    expect(decodeSnapshot(JSON.stringify({ ...good, cache: { position: 'x' } }), 'alice', 'ws://x')).toMatch(/malformed/);
  });
});
