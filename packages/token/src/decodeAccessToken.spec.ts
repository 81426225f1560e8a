import { describe, expect, it } from '@jest/globals';
import { NOW, NOW_MS, SECRET, TWILIO_HEADER, clock, segment, signHs256, twilioPayload } from '../test/handmade.js';
import { createAccessToken } from './createAccessToken.js';
import { decodeAccessToken } from './decodeAccessToken.js';
import { TokenError } from './TokenError.js';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  return 'decoded';
}

describe('decodeAccessToken', () => {
  it('TOKEN-1: reads the claims of a minted token without a key', async () => {
    const token = await createAccessToken({
      identity: 'alice',
      keyId: 'SK1',
      secret: SECRET,
      nbf: NOW,
      endpointId: 'e',
      now: clock,
    });
    expect(decodeAccessToken(token)).toEqual({
      algorithm: 'HS256',
      keyId: 'SK1',
      identity: 'alice',
      accountId: `AC${'0'.repeat(32)}`,
      serviceSid: `IS${'0'.repeat(32)}`,
      endpointId: 'e',
      issuedAt: NOW,
      expiresAt: NOW + 3600,
      notBefore: NOW,
      jti: expect.stringMatching(/^SK1-[0-9a-f]{32}$/),
    });
  });

  it('TOKEN-3: does not verify — an expired token signed with an unknown secret still decodes', () => {
    const token = signHs256(TWILIO_HEADER, twilioPayload({ exp: 1 }), 'nobody-knows-this-secret-32-bytes');
    expect(decodeAccessToken(token).expiresAt).toBe(1);
    expect(NOW_MS).toBeGreaterThan(1);
  });

  it('TOKEN-3: leaves out claims that are absent or ill-typed', () => {
    const token = `${segment({ alg: 'none' })}.${segment({ exp: 'tomorrow', grants: { identity: 7 } })}.`;
    expect(decodeAccessToken(token)).toEqual({ algorithm: 'none' });
  });

  it.each([undefined, null, 42, {}])('TOKEN-3: throws token_not_a_string for %p', (input) => {
    expect(codeOf(() => decodeAccessToken(input as unknown as string))).toBe('token_not_a_string');
  });

  it.each(['', 'abc', 'a.b', `${segment({ alg: 'HS256' })}.bm9wZQ.sig`, `${segment([1])}.${segment({})}.`])(
    'TOKEN-3: throws token_malformed for %p',
    (token) => {
      expect(codeOf(() => decodeAccessToken(token))).toBe('token_malformed');
    },
  );
});
