import { CLOSE_CODES, type CloseCode, type ErrorCode, type WireError } from '@rx-conversations/protocol';

/**
 * The one way handlers refuse a request or end a connection: a stable wire code, a safe message (never
 * token contents or message bodies), optional details, and — for violations that end the connection —
 * the close code that goes with it (ws's `createError` / `abortHandshake` pattern).
 */
export class ServerError extends Error {
  override readonly name = 'ServerError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: WireError['details'],
    readonly closeCode?: CloseCode,
  ) {
    super(message);
  }

  /** The error as it travels in an ErrorFrame. */
  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

// Codes that end the connection, and how. Everything else is answered and the connection stays up.
const CLOSING: Partial<Record<ErrorCode, CloseCode>> = {
  handshake_timeout: CLOSE_CODES.protocolViolation,
  protocol_version_unsupported: CLOSE_CODES.protocolViolation,
  token_expired: CLOSE_CODES.tokenExpired,
  slow_consumer: CLOSE_CODES.slowConsumer,
  heartbeat_timeout: CLOSE_CODES.heartbeatTimeout,
  server_shutting_down: CLOSE_CODES.goingAway,
};

/**
 * Builds the error for `code`, attaching its close code when the violation ends the connection.
 *
 * @example
 * throw serverError('not_a_participant', 'only participants may read this conversation');
 */
export function serverError(code: ErrorCode, message: string, details?: WireError['details']): ServerError {
  return new ServerError(code, message, details, CLOSING[code]);
}

/** The close code a connection-ending error code maps to (4000 when it has none of its own). */
export function closeCodeFor(code: ErrorCode): CloseCode {
  return CLOSING[code] ?? CLOSE_CODES.protocolViolation;
}
