import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { TokenError } from './TokenError.js';
import { TOKEN_ERROR_CODES } from './tokenErrorCodes.js';

describe('TOKEN_ERROR_CODES', () => {
  it('TOKEN-3: codes are unique', () => {
    expect(new Set(TOKEN_ERROR_CODES).size).toBe(TOKEN_ERROR_CODES.length);
  });

  it('TOKEN-3: every code is documented in docs/tokens.md', () => {
    const doc = readFileSync(new URL('../../../docs/tokens.md', import.meta.url), 'utf8');
    const undocumented = TOKEN_ERROR_CODES.filter((code) => !doc.includes(`\`${code}\``));
    expect(undocumented).toEqual([]);
  });

  it('TOKEN-3: TokenError carries code, retryable false, cause and its name', () => {
    const cause = new Error('underlying');
    const error = new TokenError('token_expired', 'The access token has expired.', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'TokenError', code: 'token_expired', retryable: false, cause });
    expect(String(error)).toBe('TokenError: The access token has expired.');
  });
});
