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
