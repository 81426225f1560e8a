/**
 * Sends start this far apart: ~83 a second, under the server's default per-connection rate limit
 * (100/s, burst 200), so no send waits for a token-bucket refill. A chat user sends far less often.
 */
export const SEND_INTERVAL_MS = 12;

/** Waits until `intervalMs` after `start` (a `process.hrtime.bigint()`). */
export async function pace(start: bigint, intervalMs: number): Promise<void> {
  const left = intervalMs - Number(process.hrtime.bigint() - start) / 1e6;
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

/** Send → receive times of one {@link measureSendLatency} run, in ms. */
export interface SendLatencies {
  /** `sendMessage` call → the other client's `messageAdded$` emission. */
  readonly latencies: number[];
  /** `sendMessage` call → its promise resolving (the effect is in the sender's store). */
  readonly acks: number[];
}

/**
 * The send → receive loop both PERF-4 rows share: `send(body, i)` resolves when the send is
 * acknowledged; the receiving side calls `arrived(body)` for every message it sees. Each of
 * `warmup + messages` sends waits for its own arrival, one every `intervalMs`; the last `messages` count.
 *
 * @example
 * const probe = sendProbe();
 * bob.onMessage = (body) => probe.arrived(body);
 * const { latencies } = await probe.run({ messages: 1000, warmup: 100, label: 'probe', send: (body) => alice.send(body) });
 */
export function sendProbe(): {
  arrived(body: string | null | undefined): void;
  run(options: { messages: number; warmup: number; label: string; intervalMs?: number; send(body: string, i: number): Promise<unknown> }): Promise<SendLatencies>;
} {
  let expected: string | undefined;
  let onArrival: (() => void) | undefined;
  return {
    arrived(body) {
      if (body === expected) onArrival?.();
    },
    async run({ messages, warmup, label, intervalMs = SEND_INTERVAL_MS, send }) {
      const latencies: number[] = [];
      const acks: number[] = [];
      for (let i = 0; i < warmup + messages; i++) {
        const body = `${label} ${i}`;
        let receivedAt = 0n;
        const received = new Promise<void>((resolve) => {
          expected = body;
          onArrival = () => {
            receivedAt = process.hrtime.bigint();
            resolve();
          };
        });
        const t0 = process.hrtime.bigint();
        await send(body, i);
        const ackedAt = process.hrtime.bigint();
        await received;
        if (i >= warmup) {
          latencies.push(Number(receivedAt - t0) / 1e6);
          acks.push(Number(ackedAt - t0) / 1e6);
        }
        await pace(t0, intervalMs);
      }
      return { latencies, acks };
    },
  };
}
