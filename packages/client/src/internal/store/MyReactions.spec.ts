import { describe, expect, it } from '@jest/globals';
import { msg } from '../../../test/fixtures.js';
import { MyReactions } from './MyReactions.js';

describe('MyReactions (PARITY-3)', () => {
  it('PARITY-3: follows reactions that come and go, and pages read afresh replace what it knew', () => {
    const mine = new MyReactions();
    mine.changed('c', 1, '👍', true);
    mine.changed('c', 1, '🎉', true);
    mine.changed('c', 1, '👍', true);
    expect(mine.of({ conversationSid: 'c', index: 1 })).toEqual(['👍', '🎉']);
    mine.changed('c', 1, '👍', false);
    expect(mine.of({ conversationSid: 'c', index: 1 })).toEqual(['🎉']);
    const page = { items: [msg('c', 1, { reactions: [{ emoji: '❤️', count: 2, identities: ['x', 'me'] }] }), msg('c', 2)], hasMore: false, asOfSeq: 5, myReactions: { 1: ['❤️'] } };
    mine.fromPage('c', page);
    expect(mine.of({ conversationSid: 'c', index: 1 })).toEqual(['❤️']);
    mine.fromPage('c', { ...page, myReactions: {} });
    expect(mine.of({ conversationSid: 'c', index: 1 })).toBeUndefined();
  });

  it('PARITY-3: stays bounded, forgetting the least recently noted first', () => {
    const mine = new MyReactions(3);
    for (let i = 0; i < 4; i++) mine.changed('c', i, '👍', true);
    mine.changed('c', 1, '🎉', true);
    mine.changed('c', 5, '👍', true);
    expect([0, 1, 2, 3, 5].map((index) => mine.of({ conversationSid: 'c', index }) !== undefined)).toEqual([false, true, false, true, true]);
  });
});
