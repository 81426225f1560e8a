import { createHmac, timingSafeEqual } from 'node:crypto';
import { RestError, TWILIO_CODES } from './restErrors.js';

/**
 * Opaque `PageToken`s: a keyset position, signed so that a token cannot be forged or edited into
 * another position or another list (`list` is signed with it). Every node configured with the same
 * keys accepts every other node's tokens.
 *
 * @example
 * const tokens = new PageTokens(secret);
 * const token = tokens.issue('messages:CH1:asc', { after: 29 });
 * tokens.read('messages:CH1:asc', token); // { after: 29 }
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  issue(list: string, position: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${body}.${this.sign(list, body)}`;
  }

  /** The position a token names, or a 400 (code 20001) when it was not issued for this list. */
  read<T extends Record<string, unknown>>(list: string, token: string): T {
    const [body, signature, extra] = token.split('.');
    const expected = body === undefined ? '' : this.sign(list, body);
    const given = Buffer.from(signature ?? '');
    if (extra !== undefined || body === undefined || given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      throw new RestError(400, TWILIO_CODES.invalidParameter, 'Invalid PageToken: it was not issued for this list');
    }
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  }

  private sign(list: string, body: string): string {
    return createHmac('sha256', this.key).update(`${list}\n${body}`).digest('base64url').slice(0, 32);
  }
}
