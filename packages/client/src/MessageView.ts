import type { Observable } from 'rxjs';
import type { JsonValue, Message, ReactionSummary } from '@rx-conversations/protocol';
import type { ConversationsError } from './ConversationsError.js';

/** Where a message in `messages$` stands (STORE-7). */
export type MessageStatus = 'sending' | 'sent' | 'failed';

/**
 * A message the server has: the wire {@link Message} plus `status: 'sent'` and a `key` that stays
 * the same from the optimistic copy to the confirmed message (use it as a list key).
 */
export interface SentMessage extends Message {
  /** The reaction summaries, each saying whether this user is among the reactors (PARITY-3). */
  readonly reactions?: readonly ReactionView[];
  readonly status: 'sent';
  /** The idempotency key the message was sent with (its sid when it has none). */
  readonly key: string;
}

/** One emoji's reactions to a message, as this user sees them (PARITY-3). */
export interface ReactionView extends ReactionSummary {
  /** Whether this user reacted with this emoji (the summary names only the first few reactors). */
  readonly reactedByMe: boolean;
}

/** Fields of an optimistic message that the server has not confirmed yet. */
interface LocalMessage {
  readonly key: string;
  /** Not known until the server confirms the message. */
  readonly sid: null;
  /** Not known until the server confirms the message; local messages sort after every real one. */
  readonly index: null;
  readonly conversationSid: string;
  readonly author: string;
  readonly body: string | null;
  readonly attributes: JsonValue;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly idempotencyKey: string;
  readonly version: 0;
  /** The attachments on their way, in the order given (MEDIA-1); absent on a message without media. */
  readonly media?: readonly LocalMedia[];
}

/** How far an attachment's upload has got (MEDIA-1). */
export interface MediaProgress {
  /** Bytes the server has been sent so far (all of them once it stored the file). */
  readonly sent: number;
  /** The file's size in bytes; null while a stream is still being read. */
  readonly total: number | null;
}

/**
 * An attachment of an optimistic message (MEDIA-1). Once the message is sent, `message.media` holds
 * the server's {@link Media} instead (with a sid for `getTemporaryContentUrl`).
 *
 * @example
 * for (const file of message.media ?? []) {
 *   if ('progress$' in file) file.progress$.subscribe(({ sent, total }) => bar.set(total ? sent / total : 0));
 * }
 */
export interface LocalMedia {
  /** The type given to `sendMessage`. */
  readonly contentType: string;
  /** The name given to `sendMessage`, or null. */
  readonly filename: string | null;
  /** Bytes; null while a stream is still being read. */
  readonly size: number | null;
  /**
   * Bytes sent over bytes total; replays the latest, reaches `total` once the file is stored, and
   * completes when the message is sent. Kept out of the store: progress costs no `messages$` emission.
   */
  readonly progress$: Observable<MediaProgress>;
}

/** An optimistic message on its way (offline sends wait here until reconnect). */
export interface SendingMessage extends LocalMessage {
  readonly status: 'sending';
}

/** An optimistic message the server refused or could not be reached for; `retry()` re-sends it with the same key. */
export interface FailedMessage extends LocalMessage {
  readonly status: 'failed';
  /**
   * `message_send_failed`, with the underlying error as `cause` (an upload's: `media_type_mismatch`,
   * `media_upload_aborted`, …).
   */
  readonly error: ConversationsError;
  /**
   * Sends again with the same idempotency key (never a duplicate); resolves with the sent message.
   * Attachments already stored are not uploaded again.
   */
  retry(): Promise<SentMessage>;
}

/**
 * What `messages$` holds: confirmed messages ordered by index, then this client's optimistic ones
 * in send order (STORE-5, STORE-7). Immutable; an unchanged message keeps its object identity
 * across emissions. Narrow on `status`.
 *
 * @example
 * conversation.messages$.subscribe((messages) => {
 *   for (const m of messages) {
 *     if (m.status === 'failed') showRetry(m.key, () => m.retry());
 *     else render(m.key, m.body, m.status === 'sending');
 *   }
 * });
 */
export type MessageView = SentMessage | SendingMessage | FailedMessage;
