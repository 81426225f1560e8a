/** What the heartbeat should do now, and when to look again. */
export interface HeartbeatDecision {
  /** `dead`: nothing received for the timeout; `ping`: nothing sent for the interval; `wait`: neither. */
  readonly action: 'dead' | 'ping' | 'wait';
  /** Milliseconds until the next check (after a ping, counted from the ping). Meaningless when dead. */
  readonly wakeInMs: number;
}

/**
 * The heartbeat rule (CONN-4), pure: a socket that received nothing for `timeoutMs` is dead; one that
 * sent nothing for `intervalMs` sends a `ping` (the server answers `pong`, so a live peer is never
 * silent for longer than interval + round trip). `intervalMs` null means no pings yet (handshake).
 * Activity only moves timestamps; the single timer wakes at the earliest deadline, so a busy socket
 * costs no timer work per frame (PERF-2).
 *
 * @example
 * heartbeatCheck({ now: 9_000, lastSentAt: 0, lastReceivedAt: 0, intervalMs: 4_000, timeoutMs: 9_000 }).action; // 'dead'
 */
export function heartbeatCheck(input: {
  readonly now: number;
  readonly lastSentAt: number;
  readonly lastReceivedAt: number;
  readonly intervalMs: number | null;
  readonly timeoutMs: number;
}): HeartbeatDecision {
  const { now, lastReceivedAt, intervalMs, timeoutMs } = input;
  const deadAt = lastReceivedAt + timeoutMs;
  if (now >= deadAt) return { action: 'dead', wakeInMs: 0 };
  const ping = intervalMs !== null && now - input.lastSentAt >= intervalMs;
  const lastSentAt = ping ? now : input.lastSentAt;
  const pingAt = intervalMs === null ? Infinity : lastSentAt + intervalMs;
  return { action: ping ? 'ping' : 'wait', wakeInMs: Math.max(0, Math.min(deadAt, pingAt) - now) };
}
