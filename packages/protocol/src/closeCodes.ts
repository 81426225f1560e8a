import type { ErrorCode } from './errorCodes.js';

/**
 * Websocket close codes the server uses, and what the client does on each. 1000/1001 are standard;
 * 4xxx are ours. The close `reason` carries the error code as text.
 */
export const CLOSE_CODES = {
  /** Normal closure (client shutdown). */
  normal: 1000,
  /** Server going away (shutdown, restart): reconnect with backoff and resume. */
  goingAway: 1001,
  /** The peer violated the protocol (bad handshake, repeated hello, hello timeout): reconnect. */
  protocolViolation: 4000,
  /** The token expired on the open connection: the client goes `denied` until given a new token. */
  tokenExpired: 4001,
  /** The token was rejected (invalid on update, identity mismatch): `denied`. */
  tokenInvalid: 4003,
  /** The client did not read fast enough: reconnect and resume. */
  slowConsumer: 4008,
  /** No frame from the client within the idle timeout (dead peer). */
  heartbeatTimeout: 4009,
  /** Too many connections or requests: reconnect after backoff. */
  rateLimited: 4029,
} as const;

/** One of {@link CLOSE_CODES}. */
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Close codes after which the client must not reconnect with the same token (→ `denied`). */
export function isDeniedCloseCode(code: number): boolean {
  return code === CLOSE_CODES.tokenExpired || code === CLOSE_CODES.tokenInvalid;
}

/** The error code a close code stands for when the `reason` text carries none. */
export function errorCodeForClose(code: number): ErrorCode {
  switch (code) {
    case CLOSE_CODES.tokenExpired: return 'token_expired';
    case CLOSE_CODES.tokenInvalid: return 'token_signature_invalid';
    case CLOSE_CODES.slowConsumer: return 'slow_consumer';
    case CLOSE_CODES.heartbeatTimeout: return 'heartbeat_timeout';
    case CLOSE_CODES.rateLimited: return 'rate_limited';
    case CLOSE_CODES.goingAway: return 'server_shutting_down';
    default: return 'connection_lost';
  }
}
