import type { SignalFrame, SignalKind, Signals } from '@rx-conversations/protocol';

/**
 * An ephemeral signal frame (`{ type: 'sig', kind, data }`): typing, or a watched user's update.
 *
 * @example
 * ```ts
 * import { aSignalFrame } from '@rx-conversations/testing';
 *
 * const typing = aSignalFrame('typing', { conversationSid: 'CH1', identity: 'bob' });
 * ```
 */
export function aSignalFrame<K extends SignalKind>(kind: K, data: Signals[K]): SignalFrame<K> {
  return { type: 'sig', kind, data };
}
