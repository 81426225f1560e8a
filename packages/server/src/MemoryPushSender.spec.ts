import { describe, expect, it } from '@jest/globals';
import type { PushDelivery } from '@rx-conversations/protocol';
import { MemoryPushSender } from './MemoryPushSender.js';

const delivery = (identity: string): PushDelivery => ({
  identity,
  type: 'fcm',
  token: 't',
  payload: { rxc: 1, kind: 'newMessage', conversationSid: 'CH1', conversationTitle: null },
});

describe('MemoryPushSender (SRV-3)', () => {
  it('SRV-3: records deliveries and resolves waiters for past and future ones', async () => {
    const sender = new MemoryPushSender();
    await sender.send(delivery('a'));
    await expect(sender.waitFor((d) => d.identity === 'a')).resolves.toEqual(delivery('a'));
    const later = sender.waitFor((d) => d.identity === 'b');
    await sender.send(delivery('b'));
    await expect(later).resolves.toEqual(delivery('b'));
    expect(sender.deliveries.map((d) => d.identity)).toEqual(['a', 'b']);
  });

  it('SRV-3: waitFor rejects after its timeout', async () => {
    await expect(new MemoryPushSender().waitFor(() => true, 10)).rejects.toThrow(/no matching push delivery/);
  });
});
