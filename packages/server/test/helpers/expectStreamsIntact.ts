import { StreamPositions, type EventFrame } from '@rx-conversations/protocol';

/**
 * What a client checks of its durable events (CONN-5), for raw-protocol tests: positions strictly
 * increase (nothing twice, nothing out of order), and every event follows the previous one of its
 * stream ({@link StreamPositions}), so none went missing.
 */
export function expectStreamsIntact(events: readonly EventFrame[], who = 'client'): void {
  const streams = new StreamPositions();
  let last = 0;
  for (const event of events) {
    if (event.seq <= last) throw new Error(`${who}: position ${event.seq} after ${last} (duplicate or out of order)`);
    last = event.seq;
    if (!streams.accept(event)) throw new Error(`${who}: ${event.kind} at ${event.seq} (prev ${event.prev}) skips an event of stream '${event.stream ?? 'user'}'`);
  }
}
