import type { Conversation } from '@rx-conversations/protocol';
import { connectRaw } from './connectRaw.js';

/**
 * Creates `count` conversations for the token's user through the real server's protocol, `parallel`
 * connections at a time (rate limits are per connection), each with `messagesEach` messages by that
 * user. Returns the conversations in creation order.
 */
export async function seedConversations(url: string, token: string, count: number, messagesEach: number, parallel = 8): Promise<Conversation[]> {
  const clients = await Promise.all(Array.from({ length: parallel }, () => connectRaw(url, token)));
  const created: Conversation[] = new Array(count);
  let next = 0;
  try {
    await Promise.all(
      clients.map(async (client, worker) => {
        while (next < count) {
          const i = next++;
          const conversation = await client.request('conversations.create', {
            friendlyName: `Seeded conversation ${i}`,
            attributes: { seeded: true, n: i },
            idempotencyKey: `seed-conv-${i}-${worker}-${process.pid}`,
          });
          created[i] = conversation;
          for (let m = 0; m < messagesEach; m++) {
            await client.request('messages.send', { sid: conversation.sid, body: `seed message ${m}`, idempotencyKey: `seed-msg-${i}-${m}-${process.pid}` });
          }
        }
      }),
    );
  } finally {
    for (const client of clients) client.terminate();
  }
  return created;
}
