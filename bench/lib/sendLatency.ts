import WebSocket from 'ws';
import { ConversationsClient } from '@rx-conversations/client';
import { messageBody } from './messageBody.js';
import { connectRaw } from './connectRaw.js';
import { SEND_INTERVAL_MS, sendProbe, type SendLatencies } from './sendPacing.js';
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
  const bobRaw = await connectRaw(url, bobToken);
  const aliceRaw = await connectRaw(url, aliceToken);
  const conversation = await aliceRaw.request('conversations.create', { friendlyName: `${tag} latency`, idempotencyKey: `${tag}-create-${process.pid}` });
  await aliceRaw.request('participants.add', { sid: conversation.sid, identity: `${tag}-bob`, idempotencyKey: `${tag}-add-${process.pid}` });
  bobRaw.terminate();
  aliceRaw.terminate();

  const alice = new ConversationsClient(aliceToken, { url, WebSocket });
  const bob = new ConversationsClient(bobToken, { url, WebSocket });
  try {
    await Promise.all([alice.whenSynchronized(), bob.whenSynchronized()]);
    const probe = sendProbe();
    const subscription = bob.messageAdded$.subscribe((event: unknown) => probe.arrived(messageBody(event)));
    const handle = alice.conversation(conversation.sid);
    const result = await probe.run({ messages, warmup, intervalMs, label: 'latency probe', send: (body) => handle.sendMessage(body) });
    subscription.unsubscribe();
    return result;
  } finally {
    await Promise.all([alice.shutdown(), bob.shutdown()]);
  }
}
