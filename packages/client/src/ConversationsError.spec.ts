import { describe, expect, it } from '@jest/globals';
import { ERROR_CODES } from '@rx-conversations/protocol';
import { ConversationsError } from './ConversationsError.js';

describe('ConversationsError', () => {
  it('CONN-10: an error the client raises without a message says what the code table says; retryable follows the table', () => {
    for (const code of ['client_shut_down', 'connection_denied', 'rate_limit_deadline'] as const) {
      const error = new ConversationsError(code);
      expect([error.message, error.retryable]).toEqual([ERROR_CODES[code].summary, ERROR_CODES[code].retryable]);
    }
    const server = new ConversationsError('permission_denied', 'the caller lacks sendMessage', { details: { permission: 'sendMessage' } });
    expect([server.message, server.retryable, server.details]).toEqual(['the caller lacks sendMessage', false, { permission: 'sendMessage' }]);
    expect(new ConversationsError('rate_limited').retryable).toBe(true);
  });
});
