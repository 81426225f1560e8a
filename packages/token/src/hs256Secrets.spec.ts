import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { hs256Secrets } from './hs256Secrets.js';

const secret = 'a-secret-of-at-least-thirty-two-bytes!';

describe('hs256Secrets', () => {
  it('ADMIN-1, TOKEN-3: the secrets that sign tokens, from either form of keys, are the ones that sign in to the admin API', () => {
    expect(hs256Secrets({ SK1: secret, SK2: `${secret}2` })).toEqual({ SK1: secret, SK2: `${secret}2` });
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(hs256Secrets({ secrets: { SK1: secret }, publicKeys: { EK1: { alg: 'EdDSA', key: publicKey } } })).toEqual({ SK1: secret });
    expect(hs256Secrets({ publicKeys: { EK1: { alg: 'EdDSA', key: publicKey } } })).toEqual({});
    // A shorthand whose key id happens to be "secrets" is still the shorthand.
    expect(hs256Secrets({ secrets: secret })).toEqual({ secrets: secret });
  });

  it('TOKEN-3: keys verifyAccessToken would refuse are refused here too, with a TypeError', () => {
    expect(() => hs256Secrets({ SK1: 'short' })).toThrow(TypeError);
    expect(() => hs256Secrets({ secrets: { SK1: secret }, unknown: {} } as never)).toThrow(/not a TokenKeys property/);
  });
});
