import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLOSE_CODES, errorCodeForClose, isDeniedCloseCode } from './closeCodes.js';
import { CODE_NAMES, ERROR_CODES, RETRYABLE_CODES, isErrorCode, isRetryable } from './errorCodes.js';

const docs = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
const documented = [...docs.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => m[1]);

describe('error codes', () => {
  it('CONN-10: every code is documented in docs/errors.md, exactly once', () => {
    const codes = Object.keys(ERROR_CODES).sort();
    expect([...documented].sort()).toEqual(codes);
  });

  it('CONN-10: docs/errors.md states the same retryable flag as the code table', () => {
    for (const m of docs.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(yes|no)\s*\|/gm)) {
      expect([m[1], m[2] === 'yes']).toEqual([m[1], ERROR_CODES[m[1] as keyof typeof ERROR_CODES].retryable]);
    }
  });

  it('PERF-7: the names a client checks codes against are exactly the table\'s, and so are the retryable ones', () => {
    const codes = Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>;
    expect([...CODE_NAMES].sort()).toEqual([...codes].sort());
    expect([...RETRYABLE_CODES].sort()).toEqual(codes.filter((code) => ERROR_CODES[code].retryable).sort());
  });

  it('CONN-10: isErrorCode accepts known codes only, not inherited names', () => {
    expect(isErrorCode('token_expired')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
    expect(isRetryable('rate_limited')).toBe(true);
    expect(isRetryable('not_a_participant')).toBe(false);
  });

  it('SRV-2: close codes are unique and map to denied only for token failures', () => {
    const values = Object.values(CLOSE_CODES);
    expect(new Set(values).size).toBe(values.length);
    expect(values.filter(isDeniedCloseCode).sort()).toEqual([CLOSE_CODES.tokenExpired, CLOSE_CODES.tokenInvalid].sort());
    expect(errorCodeForClose(CLOSE_CODES.tokenExpired)).toBe('token_expired');
    expect(errorCodeForClose(CLOSE_CODES.slowConsumer)).toBe('slow_consumer');
    expect(errorCodeForClose(1006)).toBe('connection_lost');
    expect(errorCodeForClose(CLOSE_CODES.heartbeatTimeout)).toBe('heartbeat_timeout');
  });
});

describe('token error codes', () => {
  it('TOKEN-3: every TokenError code is a protocol error code, so the server can send it as is', async () => {
    const { TOKEN_ERROR_CODES } = await import('@rx-conversations/token');
    for (const code of TOKEN_ERROR_CODES) expect(isErrorCode(code)).toBe(true);
  });
});
