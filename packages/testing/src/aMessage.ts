import type { Message } from '@rx-conversations/protocol';
import { FACTORY_EPOCH, nextInSequence, sidOf } from './internal/factorySequence.js';

/** The conversation messages belong to unless told otherwise: the first `aConversation()`'s sid. */
const DEFAULT_CONVERSATION = sidOf('CH', 1);

/**
 * A valid protocol `Message`: sid `IM…n`, body `Message n`, author `alice`, version 1. Its `index`
 * counts up per `conversationSid` (0, 1, 2, …) unless overridden, so successive messages of one
 * conversation are in order. Deterministic per counter (see `resetFactories`).
 *
 * @example
 * ```ts
 * import { aConversation, aMessage } from '@rx-conversations/testing';
 *
 * const { sid } = aConversation();
 * const first = aMessage({ conversationSid: sid });                   // index 0
 * const second = aMessage({ conversationSid: sid, author: 'bob' });   // index 1
 * ```
 */
export function aMessage(overrides: Partial<Message> = {}): Message {
  const n = nextInSequence('message');
  const conversationSid = overrides.conversationSid ?? DEFAULT_CONVERSATION;
  const index = overrides.index ?? nextInSequence(`message-index:${conversationSid}`) - 1;
  const at = FACTORY_EPOCH + n * 1000;
  return {
    sid: sidOf('IM', n),
    conversationSid,
    index,
    author: 'alice',
    participantSid: null,
    type: 'text',
    lastUpdatedBy: null,
    body: `Message ${n}`,
    attributes: {},
    createdAt: at,
    updatedAt: at,
    version: 1,
    idempotencyKey: null,
    ...overrides,
  };
}
