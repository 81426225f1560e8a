import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { generateKeyPair, jwtVerify } from 'jose';
import { KEY_ID, NOW, NOW_MS, SECRET, clock } from '../test/handmade.js';
import { createAccessToken, type CreateAccessTokenOptions } from './createAccessToken.js';
import { TokenError } from './TokenError.js';
import { TOKEN_LIMITS } from './tokenLimits.js';

const base = { identity: 'alice', keyId: KEY_ID, secret: SECRET, now: clock } as const;

const decodeSegment = (token: string, index: number): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

async function ttlCode(options: Partial<CreateAccessTokenOptions>): Promise<string> {
  try {
    await createAccessToken({ ...base, ...options } as CreateAccessTokenOptions);
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  return 'minted';
}

describe('createAccessToken', () => {
  it("TOKEN-1: writes Twilio's header and payload layout", async () => {
    const token = await createAccessToken({ ...base, accountId: 'ACabc', serviceId: 'ISabc' });
    expect(decodeSegment(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
    expect(decodeSegment(token, 1)).toEqual({
      jti: expect.stringMatching(new RegExp(`^${KEY_ID}-[0-9a-f]{32}$`)),
      grants: { identity: 'alice', chat: { service_sid: 'ISabc' } },
      iat: NOW,
      exp: NOW + TOKEN_LIMITS.defaultTtlSeconds,
      iss: KEY_ID,
      sub: 'ACabc',
    });
  });

  it("TOKEN-1: signs HMAC-SHA256 over the secret's UTF-8 bytes, as Twilio's helper does", async () => {
    const token = await createAccessToken(base);
    const [header, payload, signature] = token.split('.');
    const expected = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
    expect(signature).toBe(expected);
  });

  it('TOKEN-1: defaults sub and service_sid to all-zero sids and writes optional chat fields and nbf', async () => {
    const bare = decodeSegment(await createAccessToken(base), 1);
    expect(bare.sub).toBe(`AC${'0'.repeat(32)}`);
    expect(bare.grants).toEqual({ identity: 'alice', chat: { service_sid: `IS${'0'.repeat(32)}` } });

    const full = decodeSegment(
      await createAccessToken({ ...base, nbf: NOW, endpointId: 'alice:web', pushCredentialSid: 'CRxxx' }),
      1,
    );
    expect(full.nbf).toBe(NOW);
    expect(full.grants).toEqual({
      identity: 'alice',
      chat: { service_sid: `IS${'0'.repeat(32)}`, endpoint_id: 'alice:web', push_credential_sid: 'CRxxx' },
    });
  });

  it('TOKEN-1: reads the injected clock in milliseconds', async () => {
    const payload = decodeSegment(await createAccessToken({ ...base, now: () => NOW_MS + 999, ttlSeconds: 600 }), 1);
    expect(payload).toMatchObject({ iat: NOW, exp: NOW + 600 });
  });

  it('TOKEN-4: jti is unique across 1000 tokens minted in the same second', async () => {
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => createAccessToken(base)));
    const jtis = new Set(tokens.map((token) => decodeSegment(token, 1).jti));
    expect(jtis.size).toBe(1000);
    for (const jti of jtis) expect(jti).toMatch(new RegExp(`^${KEY_ID}-[0-9a-f]{32}$`));
  });

  describe('TOKEN-2: TTL bounds', () => {
    it('TOKEN-2: mints 180 s and 86,400 s', async () => {
      expect(await ttlCode({ ttlSeconds: TOKEN_LIMITS.minTtlSeconds })).toBe('minted');
      expect(await ttlCode({ ttlSeconds: TOKEN_LIMITS.maxTtlSeconds })).toBe('minted');
    });

    it('TOKEN-2: refuses a TTL above 86,400 s with token_ttl_too_long', async () => {
      expect(await ttlCode({ ttlSeconds: 86_401 })).toBe('token_ttl_too_long');
    });

    it('TOKEN-2: refuses a TTL below 180 s with token_ttl_too_short', async () => {
      expect(await ttlCode({ ttlSeconds: 179 })).toBe('token_ttl_too_short');
      expect(await ttlCode({ ttlSeconds: 0 })).toBe('token_ttl_too_short');
      expect(await ttlCode({ ttlSeconds: -3600 })).toBe('token_ttl_too_short');
    });

    it('TOKEN-2: refuses an nbf that leaves less than 180 s, or more than 24 h, before exp', async () => {
      expect(await ttlCode({ ttlSeconds: 600, nbf: NOW + 421 })).toBe('token_ttl_too_short');
      expect(await ttlCode({ ttlSeconds: 600, nbf: NOW + 420 })).toBe('minted');
      expect(await ttlCode({ ttlSeconds: 3600, nbf: NOW - 82_801 })).toBe('token_ttl_too_long');
    });

    it('TOKEN-2: the TokenError is not retryable and names itself', async () => {
      const error = await createAccessToken({ ...base, ttlSeconds: 100_000 }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(TokenError);
      expect(error).toMatchObject({ name: 'TokenError', code: 'token_ttl_too_long', retryable: false });
    });
  });

  describe('signing with private keys', () => {
    it.each(['ES256', 'EdDSA'] as const)('TOKEN-3: signs %s with a private key and names it in kid', async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg);
      const token = await createAccessToken({ identity: 'alice', keyId: 'issuer-1', privateKey, algorithm: alg, now: clock });
      const { protectedHeader, payload } = await jwtVerify(token, publicKey, { currentDate: new Date(NOW_MS) });
      expect(protectedHeader).toEqual({ alg, typ: 'JWT', cty: 'twilio-fpa;v=1', kid: 'issuer-1' });
      expect(payload).toMatchObject({ iss: 'issuer-1', grants: { identity: 'alice' } });
    });
  });

  describe('misuse throws TypeError', () => {
    const { privateKey } = { privateKey: { kty: 'EC' } };
    it.each<[string, unknown]>([
      ['no options', undefined],
      ['a missing identity', { ...base, identity: undefined }],
      ['an empty identity', { ...base, identity: '' }],
      ['a 257-character identity', { ...base, identity: 'a'.repeat(257) }],
      ['an identity with a control character', { ...base, identity: 'ali\nce' }],
      ['a numeric identity', { ...base, identity: 42 }],
      ['a missing keyId', { ...base, keyId: undefined }],
      ['a non-string secret', { ...base, secret: Buffer.from(SECRET) }],
      ['a secret shorter than 32 bytes', { ...base, secret: 'too-short' }],
      ['neither secret nor privateKey', { identity: 'alice', keyId: KEY_ID }],
      ['both secret and privateKey', { ...base, privateKey, algorithm: 'ES256' }],
      ['a privateKey without algorithm', { identity: 'alice', keyId: KEY_ID, privateKey }],
      ['a privateKey with algorithm HS256', { identity: 'alice', keyId: KEY_ID, privateKey, algorithm: 'HS256' }],
      ['a secret with algorithm ES256', { ...base, algorithm: 'ES256' }],
      ['a fractional ttlSeconds', { ...base, ttlSeconds: 3600.5 }],
      ['a string ttlSeconds', { ...base, ttlSeconds: '3600' }],
      ['a string nbf', { ...base, nbf: 'now' }],
      ['a numeric accountId', { ...base, accountId: 1 }],
      ['a clock that is not a function', { ...base, now: NOW_MS }],
    ])('TOKEN-1: rejects %s', async (_name, options) => {
      await expect(createAccessToken(options as CreateAccessTokenOptions)).rejects.toThrow(TypeError);
    });
  });
});
