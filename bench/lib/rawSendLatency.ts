import { connectRaw } from './connectRaw.js';
import { SEND_INTERVAL_MS, sendProbe, type SendLatencies } from './sendPacing.js';
import { mintToken } from './tokens.js';

/**
 * The baseline of PERF-4: the same send → receive loop as `measureSendLatency`, between two bare
 * protocol clients (`ws` + `JSON.parse`, no SDK). What remains is the server and the loopback. With
 * `receiverUrl`, the receiver is on another node (PERF-10).
 */
export async function measureRawSendLatency(
  url: string,
  messages: number,
  warmup: number,
  tag: string,
  intervalMs = SEND_INTERVAL_MS,
  receiverUrl = url,
): Promise<SendLatencies> {
  const [aliceToken, bobToken] = await Promise.all([mintToken(`${tag}-alice`), mintToken(`${tag}-bob`)]);
  const bob = await connectRaw(receiverUrl, bobToken);
  const alice = await connectRaw(url, aliceToken);
  try {
    const conversation = await alice.request('conversations.create', { friendlyName: `${tag} latency`, idempotencyKey: `${tag}-create-${process.pid}` });
    await alice.request('participants.add', { sid: conversation.sid, identity: `${tag}-bob`, idempotencyKey: `${tag}-add-${process.pid}` });
    const probe = sendProbe();
    bob.frames$.subscribe((frame) => {
      if (frame.type === 'ev' && frame.kind === 'messageAdded') probe.arrived((frame.data as { message: { body: string | null } }).message.body);
    });
    return await probe.run({
      messages,
      warmup,
      intervalMs,
      label: 'raw probe',
      send: (body, i) => alice.request('messages.send', { sid: conversation.sid, body, idempotencyKey: `${tag}-${process.pid}-${i}` }),
    });
  } finally {
    alice.terminate();
    bob.terminate();
  }
}
