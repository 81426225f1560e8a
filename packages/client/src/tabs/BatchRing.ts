import type { TabBatch } from './tabMessages.js';

/** The recent batches a tab keeps, so that a follower that fell behind (or a new leader's followers) catch up without a resync. */
export class BatchRing {
  private readonly batches: TabBatch[] = [];

  constructor(private readonly capacity: number) {}

  push(batch: TabBatch): void {
    // Signals are not replayed: they matter only when they happen.
    const events = batch.frames.filter((frame) => frame.type === 'ev');
    if (events.length === 0) return;
    this.batches.push(events.length === batch.frames.length ? batch : { ...batch, frames: events });
    if (this.batches.length > this.capacity) this.batches.shift();
  }

  /** Positions were renumbered (a fresh or resynchronised session): nothing kept reaches the new ones. */
  clear(): void {
    this.batches.length = 0;
  }

  /**
   * The batches after `position` up to the newest, or null when the ring no longer reaches back to
   * it (the follower must re-read its state instead).
   */
  after(position: number, head: number): TabBatch[] | null {
    if (position >= head) return [];
    const from = this.batches.findIndex((batch) => batch.seq > position);
    if (from === -1 || this.batches[from]!.prev > position || this.batches[this.batches.length - 1]!.seq !== head) return null;
    return this.batches.slice(from);
  }
}
