import type { EventFrame, EventKind, Events } from '@rx-conversations/protocol';
import { FACTORY_EPOCH, nextInSequence } from './internal/factorySequence.js';

/**
 * A durable event frame (`{ type: 'ev', seq, prev, kind, data, at }`) as the server sends it, on the
 * user's own stream. `seq` defaults to the next of a counter starting at 1 (see `resetFactories`) and
 * `prev` to `seq - 1`, so successive frames form a gap-free stream.
 *
 * @example
 * ```ts
 * import { aMessage, anEventFrame } from '@rx-conversations/testing';
 *
 * const added = anEventFrame('messageAdded', { message: aMessage() });        // seq 1
 * const removed = anEventFrame('conversationRemoved', { sid: 'CH1', reason: 'left' }, 7);
 * ```
 */
export function anEventFrame<K extends EventKind>(kind: K, data: Events[K], seq?: number, at?: number): EventFrame<K> {
  const n = seq ?? nextInSequence('event-seq');
  return { type: 'ev', seq: n, prev: n - 1, kind, data, at: at ?? FACTORY_EPOCH + n * 1000 };
}
