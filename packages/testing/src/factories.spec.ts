import { aConversation } from './aConversation.js';
import { aMessage } from './aMessage.js';
import { aParticipant } from './aParticipant.js';
import { aSignalFrame } from './aSignalFrame.js';
import { aUser } from './aUser.js';
import { anEventFrame } from './anEventFrame.js';
import { resetFactories } from './resetFactories.js';

describe('entity factories', () => {
  beforeEach(() => resetFactories());

  it('produce deterministic sids, timestamps and versions', () => {
    const first = aConversation();
    expect(first).toEqual({
      sid: 'CH00000000000000000000000000000001',
      uniqueName: null,
      friendlyName: 'Conversation 1',
      attributes: {},
      createdBy: 'alice',
      createdAt: Date.UTC(2024, 0, 1, 0, 0, 1),
      updatedAt: Date.UTC(2024, 0, 1, 0, 0, 1),
      version: 1,
      lastMessageIndex: null,
      lastMessageAt: null,
      messagesCount: 0,
      participantsCount: 1,
      state: { current: 'active', updatedAt: Date.UTC(2024, 0, 1, 0, 0, 1) },
      timers: { inactiveAt: null, closedAt: null },
      membership: { role: 'admin', roleSid: 'RL00000000000000000000000000000002', lastReadMessageIndex: null, notificationLevel: 'default', unreadMessagesCount: 0 },
    });
    expect(aConversation().sid).toBe('CH00000000000000000000000000000002');
    resetFactories();
    expect(aConversation()).toEqual(first);
  });

  it('merge membership overrides, or drop membership with null', () => {
    expect(aConversation({ membership: { unreadMessagesCount: 3 } }).membership).toEqual({ role: 'admin', roleSid: 'RL00000000000000000000000000000002', lastReadMessageIndex: null, notificationLevel: 'default', unreadMessagesCount: 3 });
    expect(aConversation({ membership: null }).membership).toBeNull();
  });

  it('STORE-5: number messages per conversation, in order, unless the index is given', () => {
    const a = aConversation();
    const b = aConversation();
    expect([aMessage({ conversationSid: a.sid }), aMessage({ conversationSid: b.sid }), aMessage({ conversationSid: a.sid })].map((m) => [m.conversationSid, m.index])).toEqual([
      [a.sid, 0],
      [b.sid, 0],
      [a.sid, 1],
    ]);
    expect(aMessage({ index: 41 })).toMatchObject({ index: 41, conversationSid: a.sid, author: 'alice', version: 1, idempotencyKey: null });
  });

  it('build participants and users', () => {
    expect(aParticipant({ identity: 'bob' })).toMatchObject({ sid: 'MB00000000000000000000000000000001', identity: 'bob', role: 'member', lastReadMessageIndex: null });
    expect(aUser()).toEqual({ identity: 'user1', friendlyName: 'User 1', attributes: {}, isOnline: false, isNotifiable: false, version: 1 });
  });

  it('CONN-5: event frames form a gap-free log unless seq is given', () => {
    const message = aMessage();
    expect(anEventFrame('messageAdded', { message })).toEqual({ type: 'ev', seq: 1, prev: 0, kind: 'messageAdded', data: { message }, at: expect.any(Number) });
    expect(anEventFrame('conversationRemoved', { sid: 'CH1', reason: 'left' })).toMatchObject({ seq: 2, prev: 1 });
    expect(anEventFrame('conversationRemoved', { sid: 'CH1', reason: 'left' }, 10, 5)).toMatchObject({ seq: 10, at: 5 });
    expect(aSignalFrame('typing', { conversationSid: 'CH1', identity: 'bob' })).toEqual({ type: 'sig', kind: 'typing', data: { conversationSid: 'CH1', identity: 'bob' } });
  });
});
