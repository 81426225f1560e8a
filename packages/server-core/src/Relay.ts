import type { CoreLogger } from './Core.js';
import { eventFrame } from './eventFrame.js';
import type { Delivery, Fanout } from './Fanout.js';
import { run, wait, type Step } from './Step.js';
import type { LoggedEvent, Store } from './Store.js';

/** Events read per store round trip while catching up. */
const CATCH_UP_PAGE = 500;

/**
 * The membership change an event makes, read from its kind: `conversationAdded` on a user's stream opens
 * their view of the conversation, `conversationRemoved` there closes it, and `conversationRemoved` on the
 * conversation's own stream (deleted) closes everyone's.
 */
export function membershipOf(event: LoggedEvent): Delivery['membership'] {
  if (event.kind !== 'conversationAdded' && event.kind !== 'conversationRemoved') return undefined;
  if (event.conversationSid !== null) return { end: event.conversationSid };
  const data = JSON.parse(event.payload) as { sid?: string; conversation?: { sid: string } };
  return event.kind === 'conversationAdded' ? { join: data.conversation!.sid } : { leave: data.sid! };
}

function toDelivery(event: LoggedEvent): Delivery {
  const membership = membershipOf(event);
  const delivery = { seq: event.seq, frame: eventFrame(event), conversationSid: event.conversationSid, identity: event.identity };
  return membership === undefined ? delivery : { ...delivery, membership };
}

/**
 * Hands committed events to this node's live connections strictly in log order, whoever wrote them
 * (SCALE-2). Positions are gapless and visible in commit order, so an event ahead of the cursor means
 * the ones before it are committed but not yet seen here: they are read from the store, never skipped,
 * and an event at or below the cursor is a repeat and dropped. The bus only cuts latency; {@link poll}
 * finds what it lost (a dropped message, a writer that died between commit and publish).
 *
 * On one node with an embedded store every commit arrives as the next position, so delivery happens in
 * the committing turn, before the op's reply.
 */
export class Relay {
  private cursor: number;
  private readonly ahead = new Map<number, LoggedEvent>();
  private readonly holds = new Set<Delivery[]>();
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private catchingUp: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly fanout: Fanout,
    private readonly logger: CoreLogger,
    start: number,
  ) {
    this.cursor = start;
  }

  /** The newest position delivered here: every event up to it has reached this node's connections. */
  get position(): number {
    return this.cursor;
  }

  /** Sets where delivery starts (a networked store's head, read at start-up). */
  startAt(seq: number): void {
    this.cursor = seq;
  }

  /** Takes events committed here or reported by the bus, in any order, repeats included. */
  ingest(events: readonly LoggedEvent[]): void {
    let newest = 0;
    for (const event of events) {
      if (event.seq <= this.cursor) continue;
      this.ahead.set(event.seq, event);
      newest = Math.max(newest, event.seq);
    }
    this.drain();
    if (this.ahead.size > 0) void this.catchUp(newest);
  }

  /** Waits until position `seq` has been delivered here (a write's reply goes after its events). */
  *reached(seq: number): Step<void> {
    if (this.cursor >= seq) return;
    yield* wait(new Promise<void>((resolve) => this.waiters.push({ seq, resolve })));
  }

  /**
   * Reads the log head and catches up to it: the repair for whatever the bus did not bring. Never
   * rejects: a store that cannot be read now is logged, and the next poll tries again.
   */
  async poll(): Promise<void> {
    let head: number;
    try {
      head = await run(this.store.read((tx) => tx.headSeq()));
    } catch (err) {
      this.logger.warn({ err, position: this.cursor }, 'reading the event log head failed; the next poll retries');
      return;
    }
    if (head > this.cursor) await this.catchUp(head);
    else await this.catchingUp;
  }

  /**
   * Starts recording every delivery from now on (a connection's handshake reads the store meanwhile, and
   * merges what went by after its read). Stop with {@link release}.
   */
  hold(): Delivery[] {
    const held: Delivery[] = [];
    this.holds.add(held);
    return held;
  }

  release(held: Delivery[]): void {
    this.holds.delete(held);
  }

  private drain(): void {
    for (let next = this.ahead.get(this.cursor + 1); next !== undefined; next = this.ahead.get(this.cursor + 1)) {
      this.ahead.delete(next.seq);
      const delivery = toDelivery(next);
      this.fanout.deliver(delivery);
      for (const held of this.holds) held.push(delivery);
      this.cursor = next.seq;
    }
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => w.seq <= this.cursor);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > this.cursor);
    for (const waiter of due) waiter.resolve();
  }

  /** Reads the log from the cursor up to `target`, one catch-up at a time. */
  private catchUp(target: number): Promise<void> {
    if (this.catchingUp !== null) return this.catchingUp.then(() => (this.cursor < target ? this.catchUp(target) : undefined));
    this.catchingUp = this.readUpTo(target)
      .catch((err: unknown) => this.logger.warn({ err, position: this.cursor, target }, 'catching up on the event log failed; the next poll retries'))
      .finally(() => {
        this.catchingUp = null;
      });
    return this.catchingUp;
  }

  private async readUpTo(target: number): Promise<void> {
    while (this.cursor < target) {
      const from = this.cursor;
      const page = await run(this.store.read((tx) => tx.eventsAfter(from, CATCH_UP_PAGE)));
      if (page === null) {
        this.lost(target);
        return;
      }
      if (page.length === 0) return;
      for (const event of page) if (event.seq > this.cursor) this.ahead.set(event.seq, event);
      this.drain();
      if (this.cursor === from) return;
    }
  }

  /**
   * Retention dropped events this node never delivered (it was cut off for longer than the log keeps):
   * its connections cannot be made whole, so they are closed to resume, and resume says resync.
   */
  private lost(target: number): void {
    this.logger.error({ position: this.cursor, target }, 'events were dropped before this node delivered them; closing its connections to resync');
    this.ahead.clear();
    this.cursor = target;
    this.fanout.dropAll();
    this.drain();
  }
}
