import WebSocket from 'ws';
import { ConversationsClient } from '@rx-conversations/client';
import { messageBody } from './messageBody.js';
import { RawClient } from './RawClient.js';
import { pace, SEND_INTERVAL_MS, type SendLatencies } from './sendPacing.js';
import { mintToken } from './tokens.js';

export { SEND_INTERVAL_MS, type SendLatencies };

/**
 * Two ConversationsClient instances (`<tag>-alice`, `<tag>-bob`) in a conversation of their own on the
 * server at `url`: alice sends `warmup + messages` messages one after another, each awaited until bob's
 * `messageAdded$` has emitted it, one every `intervalMs`; returns the times of the last `messages`.
 */
export async function measureSendLatency(url: string, messages: number, warmup: number, tag: string, intervalMs = SEND_INTERVAL_MS): Promise<SendLatencies> {
  const [aliceToken, bobToken] = await Promise.all([mintToken(`${tag}-alice`), mintToken(`${tag}-bob`)]);
  // Set-up through the protocol: bob exists, alice creates a conversation and adds him.
  const bobRaw = await RawClient.connect(url, bobToken);
  const aliceRaw = await RawClient.connect(url, aliceToken);
  const conversation = await aliceRaw.request('conversations.create', { friendlyName: `${tag} latency`, idempotencyKey: `${tag}-create-${process.pid}` });
  await aliceRaw.request('participants.add', { sid: conversation.sid, identity: `${tag}-bob`, idempotencyKey: `${tag}-add-${process.pid}` });
  bobRaw.close();
  aliceRaw.close();

  const alice = new ConversationsClient(aliceToken, { url, WebSocket });
  const bob = new ConversationsClient(bobToken, { url, WebSocket });
  try {
    await Promise.all([alice.whenSynchronized(), bob.whenSynchronized()]);
    let expected: string | undefined;
    let arrived: (() => void) | undefined;
    const subscription = bob.messageAdded$.subscribe((event: unknown) => {
      if (messageBody(event) === expected) arrived?.();
    });
    const handle = alice.conversation(conversation.sid);
    const latencies: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < warmup + messages; i++) {
      const body = `latency probe ${i}`;
      let receivedAt = 0n;
      const received = new Promise<void>((resolve) => {
        expected = body;
        arrived = () => {
          receivedAt = process.hrtime.bigint();
          resolve();
        };
      });
      const t0 = process.hrtime.bigint();
      await handle.sendMessage(body);
      const ackedAt = process.hrtime.bigint();
      await received;
      if (i >= warmup) {
        latencies.push(Number(receivedAt - t0) / 1e6);
        acks.push(Number(ackedAt - t0) / 1e6);
      }
      await pace(t0, intervalMs);
    }
    subscription.unsubscribe();
    return { latencies, acks };
  } finally {
    await Promise.all([alice.shutdown(), bob.shutdown()]);
  }
}
