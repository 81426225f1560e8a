import { ERROR_CODES, type ErrorCode, type WireError } from '@rx-conversations/protocol';

/**
 * The error a {@link FakeActor} request rejects with: the same `code`, `message` and `details` the
 * fake would have answered a client with in an error `res` frame.
 *
 * @example
 * ```ts
 * import { FakeServer, FakeServerError } from '@rx-conversations/testing';
 *
 * const fake = new FakeServer();
 * try {
 *   await fake.as('mallory').send('CH404', 'hi');
 * } catch (err) {
 *   if (err instanceof FakeServerError) console.log(err.code); // 'conversation_not_found'
 * }
 * ```
 */
export class FakeServerError extends Error {
  override readonly name = 'FakeServerError';
  readonly code: ErrorCode;
  readonly details: WireError['details'];

  constructor(code: ErrorCode, message?: string, details?: WireError['details']) {
    super(message ?? ERROR_CODES[code].summary);
    this.code = code;
    this.details = details;
  }

  /** This error as the `error` of a wire `res` frame. */
  toWire(): WireError {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}
