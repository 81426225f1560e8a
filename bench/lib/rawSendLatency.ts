import { RawClient } from './RawClient.js';
import { pace, SEND_INTERVAL_MS, type SendLatencies } from './sendPacing.js';
import { mintToken } from './tokens.js';

/**
 * The baseline of PERF-4: the same send → receive loop as `measureSendLatency`, between two bare
 * protocol clients (`ws` + `JSON.parse`, no SDK). What remains is the server and the loopback.
 */
export async function measureRawSendLatency(url: string, messages: number, warmup: number, tag: string, intervalMs = SEND_INTERVAL_MS): Promise<SendLatencies> {
  const [aliceToken, bobToken] = await Promise.all([mintToken(`${tag}-alice`), mintToken(`${tag}-bob`)]);
  const bob = await RawClient.connect(url, bobToken);
  const alice = await RawClient.connect(url, aliceToken);
  try {
    const conversation = await alice.request('conversations.create', { friendlyName: `${tag} latency`, idempotencyKey: `${tag}-create-${process.pid}` });
    await alice.request('participants.add', { sid: conversation.sid, identity: `${tag}-bob`, idempotencyKey: `${tag}-add-${process.pid}` });
    let expected: string | undefined;
    let arrived: (() => void) | undefined;
    bob.onEvent = (frame) => {
      if (frame.kind === 'messageAdded' && (frame.data as { message: { body: string | null } }).message.body === expected) arrived?.();
    };
    const latencies: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < warmup + messages; i++) {
      const body = `raw probe ${i}`;
      let receivedAt = 0n;
      const received = new Promise<void>((resolve) => {
        expected = body;
        arrived = () => {
          receivedAt = process.hrtime.bigint();
          resolve();
        };
      });
      const t0 = process.hrtime.bigint();
      await alice.request('messages.send', { sid: conversation.sid, body, idempotencyKey: `${tag}-${process.pid}-${i}` });
      const ackedAt = process.hrtime.bigint();
      await received;
      if (i >= warmup) {
        latencies.push(Number(receivedAt - t0) / 1e6);
        acks.push(Number(ackedAt - t0) / 1e6);
      }
      await pace(t0, intervalMs);
    }
    return { latencies, acks };
  } finally {
    alice.close();
    bob.close();
  }
}
