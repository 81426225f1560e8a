import type { PushDelivery } from '@rx-conversations/protocol';

/**
 * Delivers push notifications to users with no live connection (SRV-3). The server calls `send` after
 * the write that caused it has committed; a rejection is logged and never affects the write.
 *
 * Implement it to call FCM/APNs directly, or use {@link WebhookPushSender} to hand deliveries to your
 * own service, or {@link MemoryPushSender} in tests.
 *
 * @example
 * const sender: PushSender = { send: async (delivery) => console.log(delivery.identity, delivery.payload) };
 * await startServer({ keys, pushSender: sender });
 */
export interface PushSender {
  send(delivery: PushDelivery): Promise<void>;
}
