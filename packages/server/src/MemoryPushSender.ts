import type { PushDelivery } from '@rx-conversations/protocol';
import type { PushSender } from '@rx-conversations/server-core';

interface Waiter {
  readonly predicate: (delivery: PushDelivery) => boolean;
  readonly resolve: (delivery: PushDelivery) => void;
}

/**
 * A {@link PushSender} that records deliveries in memory, for tests and local development.
 *
 * @example
 * const push = new MemoryPushSender();
 * const server = await startServer({ keys, pushSender: push });
 * // … bob sends while alice is offline …
 * const delivery = await push.waitFor((d) => d.identity === 'alice');
 */
export class MemoryPushSender implements PushSender {
  /** Every delivery so far, oldest first. */
  readonly deliveries: PushDelivery[] = [];
  private waiters: Waiter[] = [];

  async send(delivery: PushDelivery): Promise<void> {
    this.deliveries.push(delivery);
    const matched = this.waiters.filter((waiter) => waiter.predicate(delivery));
    this.waiters = this.waiters.filter((waiter) => !matched.includes(waiter));
    for (const waiter of matched) waiter.resolve(delivery);
  }

  /**
   * Resolves with the first delivery (already recorded or future) that matches, or rejects after
   * `timeoutMs` (default 2000).
   */
  waitFor(predicate: (delivery: PushDelivery) => boolean, timeoutMs = 2000): Promise<PushDelivery> {
    const found = this.deliveries.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        reject(new Error(`no matching push delivery within ${timeoutMs} ms`));
      }, timeoutMs);
      const entry: Waiter = {
        predicate,
        resolve: (delivery) => {
          clearTimeout(timer);
          resolve(delivery);
        },
      };
      this.waiters.push(entry);
    });
  }
}
