import { makeToken, T0 } from '../../../test/core/fakes.js';
import { decodeTokenClaims } from './tokenClaims.js';

describe('decodeTokenClaims', () => {
  it('CONN-7: reads exp, iat and grants.identity without any JOSE library', () => {
    expect(decodeTokenClaims(makeToken({ identity: 'zoë 🚀', ttlMs: 600_000 }))).toEqual({ exp: T0 / 1000 + 600, iat: T0 / 1000, identity: 'zoë 🚀' });
  });

  it('CONN-1: returns null for anything that is not a decodable JWT', () => {
    const payload = Buffer.from('{"exp":1}').toString('base64url');
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', `!!.${payload}.x`, `e30.${Buffer.from('[1]').toString('base64url')}.x`, `e30.${Buffer.from('{bad').toString('base64url')}.x`, 42, null]) {
      expect(decodeTokenClaims(bad)).toBeNull();
    }
    expect(decodeTokenClaims(`e30.${payload}.`)).toEqual({ exp: 1, iat: null, identity: null });
  });
});
