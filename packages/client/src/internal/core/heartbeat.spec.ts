import { heartbeatCheck } from './heartbeat.js';

describe('heartbeatCheck', () => {
  const base = { lastSentAt: 0, lastReceivedAt: 0, intervalMs: 4_000, timeoutMs: 9_000 };

  it('CONN-4: waits until the first deadline, then pings after the interval of outbound silence', () => {
    expect(heartbeatCheck({ ...base, now: 0 })).toEqual({ action: 'wait', wakeInMs: 4_000 });
    expect(heartbeatCheck({ ...base, now: 4_000 })).toEqual({ action: 'ping', wakeInMs: 4_000 });
    expect(heartbeatCheck({ ...base, now: 8_000, lastSentAt: 4_000 })).toEqual({ action: 'ping', wakeInMs: 1_000 });
  });

  it('CONN-4: declares the socket dead once nothing was received for the timeout', () => {
    expect(heartbeatCheck({ ...base, now: 8_999, lastSentAt: 8_000 }).action).toBe('wait');
    expect(heartbeatCheck({ ...base, now: 9_000, lastSentAt: 8_000 }).action).toBe('dead');
  });

  it('CONN-4: does not ping during the handshake (no interval yet) but still times out', () => {
    expect(heartbeatCheck({ ...base, intervalMs: null, now: 5_000 })).toEqual({ action: 'wait', wakeInMs: 4_000 });
    expect(heartbeatCheck({ ...base, intervalMs: null, now: 9_000 }).action).toBe('dead');
  });

  it('CONN-4: inbound traffic pushes the dead-line back', () => {
    expect(heartbeatCheck({ ...base, lastSentAt: 6_000, lastReceivedAt: 6_000, now: 9_000 })).toEqual({ action: 'wait', wakeInMs: 1_000 });
  });
});
