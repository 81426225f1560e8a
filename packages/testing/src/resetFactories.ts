import { resetSequences } from './internal/factorySequence.js';

/**
 * Restarts the counters behind `aConversation`, `aMessage`, `aParticipant`, `aUser` and
 * `anEventFrame`, so each test gets the same sids, indexes and timestamps whatever ran before.
 *
 * @example
 * ```ts
 * import { resetFactories } from '@rx-conversations/testing';
 *
 * beforeEach(() => resetFactories());
 * ```
 */
export function resetFactories(): void {
  resetSequences();
}
