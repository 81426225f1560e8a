import type { EventFrame } from './frames.js';

// The user's own stream has no name on the wire.
const USER_STREAM = '';

/**
 * Gap detection (CONN-5), the rule every client applies to durable events. Event positions are global and sparse, so a client cannot tell a missed event
 * from the position alone; each event instead names the previous event of its stream (`prev`). The
 * position of the last event applied per stream is kept here: an event whose `prev` is not that
 * position means an event of the stream went missing. A stream not followed yet (a conversation just
 * joined, or after a fresh start) is followed from its first event. Leaving a conversation forgets it,
 * since the events between leaving and rejoining are not the user's to see.
 *
 * @example
 * const streams = new StreamPositions();
 * if (!streams.accept(frame)) reconnectAndResume();
 */
export class StreamPositions {
  private readonly heads = new Map<string, number>();

  /** Records `frame` as applied; false (and nothing recorded) when an event before it is missing. */
  accept(frame: EventFrame): boolean {
    const stream = frame.stream ?? USER_STREAM;
    const head = this.heads.get(stream);
    if (head !== undefined && frame.prev !== head) return false;
    this.heads.set(stream, frame.seq);
    const membershipOf = frame.kind === 'conversationAdded'
      ? (frame as EventFrame<'conversationAdded'>).data.conversation.sid
      : frame.kind === 'conversationRemoved'
        ? (frame as EventFrame<'conversationRemoved'>).data.sid
        : undefined;
    if (membershipOf !== undefined) this.heads.delete(membershipOf);
    return true;
  }

  /** Follows every stream afresh (a fresh start or a resync: the store re-reads its state). */
  reset(): void {
    this.heads.clear();
  }
}
