import { afterEach } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { ConversationsClient, type ConversationsClientOptions } from '../src/ConversationsClient.js';
import { createMemoryStorage } from '../src/push/KeyValueStorage.js';
import { FakeCore } from './FakeCore.js';
import { createVirtualClock, type VirtualClock } from '@rx-conversations/testing';

/** What a {@link FakeCore} answers requests with. */
export type Handler = ConstructorParameters<typeof FakeCore>[0];

/**
 * Clients over a scripted session (FakeCore) in virtual time, for store tests through the public
 * surface. Registers an `afterEach` that unsubscribes every recording and shuts every client down.
 *
 * @example
 * const { setup, record } = useFakeSessions();
 * const { core, client, clock } = setup((op) => (op === 'conversations.list' ? page : null));
 * const lists = record(client.conversations$);
 */
export function useFakeSessions(): {
  setup(handler: Handler, options?: Partial<ConversationsClientOptions>): { core: FakeCore; client: ConversationsClient; clock: VirtualClock };
  record<T>(source: { subscribe(next: (value: T) => void): Subscription }): T[];
  /** Keeps `subscription` until the test ends (or {@link unsubscribeAll}). */
  keep(subscription: Subscription): void;
  /** Ends every recording and kept subscription now: the app stopped observing. */
  unsubscribeAll(): void;
} {
  const clients: ConversationsClient[] = [];
  const subs: Subscription[] = [];
  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    for (const c of clients.splice(0)) await c.shutdown();
  });
  return {
    setup(handler, options = {}) {
      const clock = createVirtualClock();
      const core = new FakeCore(handler);
      const client = new ConversationsClient(core, { scheduler: clock.scheduler, storage: createMemoryStorage(), ...options }, 'core');
      clients.push(client);
      return { core, client, clock };
    },
    record<T>(source: { subscribe(next: (value: T) => void): Subscription }): T[] {
      const out: T[] = [];
      subs.push(source.subscribe((value) => out.push(value)));
      return out;
    },
    keep(subscription) {
      subs.push(subscription);
    },
    unsubscribeAll() {
      for (const s of subs.splice(0)) s.unsubscribe();
    },
  };
}
