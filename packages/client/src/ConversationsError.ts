import { isRetryable, type ErrorCode } from '@rx-conversations/protocol';

/**
 * The messages of the errors the client raises without one of its own (docs/errors.md has every code's).
 * The full table stays out of the browser bundle (PERF-7).
 */
const CLIENT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  client_shut_down: 'The client was shut down; create a new ConversationsClient.',
  connection_denied: 'The connection is `denied` (token rejected); call `updateToken` with a valid token.',
  rate_limit_deadline: "The server's rate limit held the call back longer than `rateLimitDeadlineMs`; it was not sent.",
};

/**
 * The one error type the SDK rejects and emits with (CONN-10). `code` is stable and documented in
 * `docs/errors.md`; `retryable` says whether the same call can succeed later unchanged; `cause`
 * holds the underlying error or wire error. Programmer misuse (bad options) throws `TypeError`
 * instead, synchronously.
 *
 * @example
 * try {
 *   await conversation.sendMessage('hi');
 * } catch (err) {
 *   if (err instanceof ConversationsError && err.code === 'not_a_participant') showJoinButton();
 * }
 */
export class ConversationsError extends Error {
  override readonly name = 'ConversationsError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Extra facts from the server, such as the offending argument's path or a retry delay. */
  readonly details: { readonly path?: string; readonly retryAfterMs?: number; readonly limit?: number; readonly status?: number; readonly permission?: string } | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: ConversationsError['details'] },
  ) {
    super(message ?? CLIENT_MESSAGES[code] ?? code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = isRetryable(code);
    this.details = options?.details;
  }
}
