import { describe, expect, it } from '@jest/globals';
import { createHmac, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';
import twilio from 'twilio';
import {
  ACCOUNT_ID,
  KEY_ID,
  NOW,
  NOW_MS,
  SECRET,
  SERVICE_SID,
  TWILIO_HEADER,
  clock,
  segment,
  signHs256,
  signWith,
  twilioPayload,
} from '../test/handmade.js';
import { createAccessToken } from './createAccessToken.js';
import { TokenError } from './TokenError.js';
import type { TokenErrorCode } from './tokenErrorCodes.js';
import type { TokenKeys } from './TokenKeys.js';
import { verifyAccessToken, type VerifyAccessTokenOptions } from './verifyAccessToken.js';

const keys = { [KEY_ID]: SECRET };
const at = (options: VerifyAccessTokenOptions = {}): VerifyAccessTokenOptions => ({ now: clock, ...options });

async function codeOf(promise: Promise<unknown>): Promise<TokenErrorCode> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  throw new Error('expected a TokenError, but the token verified');
}

/** Signs a Twilio-layout payload with `overrides` applied (`undefined` removes a claim). */
const twilioToken = (overrides: Record<string, unknown> = {}, header: object = TWILIO_HEADER): string =>
  signHs256(header, twilioPayload(overrides));

describe('verifyAccessToken', () => {
  describe('TOKEN-1: compatibility', () => {
    it("TOKEN-1: verifies a token minted by Twilio's own helper library (twilio.jwt.AccessToken with a ChatGrant)", async () => {
      const minted = new twilio.jwt.AccessToken(ACCOUNT_ID, KEY_ID, SECRET, { identity: 'alice', ttl: 3600 });
      minted.addGrant(new twilio.jwt.AccessToken.ChatGrant({ serviceSid: SERVICE_SID, endpointId: 'alice:web:1', pushCredentialSid: 'CRxxx' }));
      const token = minted.toJwt();
      // The library stamps iat from the real clock.
      const issuedAt = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number }).iat;
      await expect(verifyAccessToken(token, keys, at({ now: () => issuedAt * 1000 }))).resolves.toEqual({
        identity: 'alice',
        keyId: KEY_ID,
        accountId: ACCOUNT_ID,
        serviceSid: SERVICE_SID,
        endpointId: 'alice:web:1',
        pushCredentialSid: 'CRxxx',
        issuedAt,
        expiresAt: issuedAt + 3600,
        jti: expect.stringMatching(new RegExp(`^${KEY_ID}-${issuedAt}$`)),
        algorithm: 'HS256',
      });
      // Signed with another secret, the same library's token is refused.
      const forged = new twilio.jwt.AccessToken(ACCOUNT_ID, KEY_ID, 'another-secret-that-is-32-bytes-long!!', { identity: 'alice' });
      forged.addGrant(new twilio.jwt.AccessToken.ChatGrant({ serviceSid: SERVICE_SID }));
      expect(await codeOf(verifyAccessToken(forged.toJwt(), keys, at({ now: () => issuedAt * 1000 })))).toBe('token_signature_invalid');
    });

    it('TOKEN-1: returns nbf, endpoint_id and push_credential_sid of a Twilio token when present', async () => {
      const token = twilioToken({
        nbf: NOW - 60,
        grants: {
          identity: 'alice',
          chat: { service_sid: SERVICE_SID, endpoint_id: 'alice:web:1', push_credential_sid: 'CRxxx' },
          video: {},
        },
      });
      const verified = await verifyAccessToken(token, keys, at());
      expect(verified).toMatchObject({ notBefore: NOW - 60, endpointId: 'alice:web:1', pushCredentialSid: 'CRxxx' });
    });

    it('TOKEN-1: round-trips a minted token with every optional claim', async () => {
      const token = await createAccessToken({
        identity: 'bob@example.com',
        keyId: KEY_ID,
        secret: SECRET,
        accountId: ACCOUNT_ID,
        serviceId: SERVICE_SID,
        ttlSeconds: 600,
        nbf: NOW - 10,
        endpointId: 'bob:ios:abc',
        pushCredentialSid: 'CRyyy',
        now: clock,
      });
      const verified = await verifyAccessToken(token, keys, at());
      expect(verified).toEqual({
        identity: 'bob@example.com',
        keyId: KEY_ID,
        accountId: ACCOUNT_ID,
        serviceSid: SERVICE_SID,
        endpointId: 'bob:ios:abc',
        pushCredentialSid: 'CRyyy',
        issuedAt: NOW,
        expiresAt: NOW + 600,
        notBefore: NOW - 10,
        jti: expect.stringMatching(new RegExp(`^${KEY_ID}-[0-9a-f]{32}$`)),
        algorithm: 'HS256',
      });
    });

    it('TOKEN-3: accepts the { secrets } form as well as the shorthand', async () => {
      const token = twilioToken();
      await expect(verifyAccessToken(token, { secrets: keys }, at())).resolves.toMatchObject({ identity: 'alice' });
    });
  });

  describe('TOKEN-3: input', () => {
    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an object', {}],
      ['an array', [twilioToken()]],
    ])('TOKEN-3: rejects %s with token_not_a_string', async (_name, input) => {
      expect(await codeOf(verifyAccessToken(input, keys, at()))).toBe('token_not_a_string');
    });

    it.each([
      ['an empty string', ''],
      ['one segment', 'abc'],
      ['two segments', 'abc.def'],
      ['four segments', 'a.b.c.d'],
      ['five segments (a JWE)', 'a.b.c.d.e'],
      ['non-base64url characters', `${segment(TWILIO_HEADER)}.${segment(twilioPayload())}.ab+c/=`],
      ['an empty header', `.${segment(twilioPayload())}.abc`],
      ['a header that is not JSON', `${Buffer.from('{nope').toString('base64url')}.${segment(twilioPayload())}.abc`],
      ['a payload that is not JSON', `${segment(TWILIO_HEADER)}.${Buffer.from('nope').toString('base64url')}.abc`],
      ['a payload that is a JSON array', `${segment(TWILIO_HEADER)}.${segment([1, 2])}.abc`],
      ['a header without alg', signHs256({ typ: 'JWT' }, twilioPayload())],
      ['a header whose kid is a number', signHs256({ ...TWILIO_HEADER, kid: 7 }, twilioPayload())],
      ['more than 8192 characters', `${segment(TWILIO_HEADER)}.${'A'.repeat(9000)}.abc`],
    ])('TOKEN-3: rejects %s with token_malformed', async (_name, token) => {
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_malformed');
    });
  });

  describe('TOKEN-3: algorithms', () => {
    it('TOKEN-3: rejects alg none with token_algorithm_not_allowed', async () => {
      const unsigned = `${segment({ alg: 'none', typ: 'JWT' })}.${segment(twilioPayload())}.`;
      expect(await codeOf(verifyAccessToken(unsigned, keys, at()))).toBe('token_algorithm_not_allowed');
    });

    it('TOKEN-3: rejects alg "NONE" (any case) with token_algorithm_not_allowed', async () => {
      const unsigned = `${segment({ alg: 'NONE' })}.${segment(twilioPayload())}.`;
      expect(await codeOf(verifyAccessToken(unsigned, keys, at()))).toBe('token_algorithm_not_allowed');
    });

    it('TOKEN-3: rejects HS512 even with the right secret (only the configured HS256 is allowed)', async () => {
      const input = `${segment({ ...TWILIO_HEADER, alg: 'HS512' })}.${segment(twilioPayload())}`;
      const token = `${input}.${createHmac('sha512', SECRET).update(input).digest('base64url')}`;
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_algorithm_not_allowed');
    });

    it('TOKEN-3: HS/ES confusion — an HS256 token keyed with the ES256 public key PEM is token_algorithm_not_allowed', async () => {
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      const pem = await exportSPKI(publicKey);
      const forged = signHs256({ ...TWILIO_HEADER, kid: 'issuer-1' }, twilioPayload(), pem);
      const code = await codeOf(
        verifyAccessToken(forged, { publicKeys: { 'issuer-1': { alg: 'ES256', key: publicKey } } }, at()),
      );
      expect(code).toBe('token_algorithm_not_allowed');
    });

    it('TOKEN-3: HS/RS confusion — an HS256 token keyed with an RSA public JWK in a JWKS is token_algorithm_not_allowed', async () => {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'rsa-1', alg: 'RS256' };
      const forged = signHs256({ ...TWILIO_HEADER, kid: 'rsa-1' }, twilioPayload(), JSON.stringify(jwk));
      const pemForged = signHs256(
        { ...TWILIO_HEADER, kid: 'rsa-1' },
        twilioPayload(),
        publicKey.export({ format: 'pem', type: 'spki' }) as string,
      );
      const config: TokenKeys = { jwks: { keys: [jwk] } };
      expect(await codeOf(verifyAccessToken(forged, config, at()))).toBe('token_algorithm_not_allowed');
      expect(await codeOf(verifyAccessToken(pemForged, config, at()))).toBe('token_algorithm_not_allowed');
    });

    it('TOKEN-3: an ES256 token for a key id configured with an HS256 secret is token_algorithm_not_allowed', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await signWith({ alg: 'ES256', typ: 'JWT' }, twilioPayload(), privateKey);
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_algorithm_not_allowed');
    });

    it('TOKEN-3: an EdDSA token for an ES256-configured key is token_algorithm_not_allowed', async () => {
      const es = await generateKeyPair('ES256');
      const ed = await generateKeyPair('EdDSA');
      const token = await createAccessToken({
        identity: 'alice',
        keyId: 'K1',
        privateKey: ed.privateKey,
        algorithm: 'EdDSA',
        now: clock,
      });
      const config: TokenKeys = { publicKeys: { K1: { alg: 'ES256', key: es.publicKey } } };
      expect(await codeOf(verifyAccessToken(token, config, at()))).toBe('token_algorithm_not_allowed');
    });
  });

  describe('TOKEN-3: key lookup', () => {
    it('TOKEN-3: rejects an iss with no configured key with token_key_unknown', async () => {
      const token = twilioToken({ iss: 'SKsomeoneelse' });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_key_unknown');
    });

    it('TOKEN-3: a header kid takes precedence over iss — an unknown kid is token_key_unknown', async () => {
      const token = twilioToken({}, { ...TWILIO_HEADER, kid: 'SKunknown' });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_key_unknown');
    });

    it('TOKEN-3: finds the key by kid when iss names something else, and reports kid as keyId', async () => {
      const token = twilioToken({ iss: 'issuer.example' }, { ...TWILIO_HEADER, kid: KEY_ID });
      await expect(verifyAccessToken(token, keys, at())).resolves.toMatchObject({ keyId: KEY_ID });
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
      'TOKEN-3: a key id of "%s" finds no inherited property (token_key_unknown)',
      async (keyId) => {
        const token = twilioToken({ iss: keyId });
        expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_key_unknown');
      },
    );

    it('TOKEN-3: rejects a token with neither kid nor iss with token_claims_invalid', async () => {
      const token = twilioToken({ iss: undefined });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_claims_invalid');
    });
  });

  describe('TOKEN-3: signature', () => {
    it('TOKEN-3: rejects a token signed with another secret with token_signature_invalid', async () => {
      const token = signHs256(TWILIO_HEADER, twilioPayload(), 'another-secret-of-at-least-32-bytes!');
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_signature_invalid');
    });

    it('TOKEN-3: rejects a stripped signature (header.payload.) with token_signature_invalid', async () => {
      const [header, payload] = twilioToken().split('.');
      expect(await codeOf(verifyAccessToken(`${header}.${payload}.`, keys, at()))).toBe('token_signature_invalid');
    });

    it('TOKEN-3: rejects a payload changed after signing with token_signature_invalid', async () => {
      const [header, , signature] = twilioToken().split('.');
      const tampered = `${header}.${segment(twilioPayload({ grants: { identity: 'mallory', chat: { service_sid: SERVICE_SID } } }))}.${signature}`;
      expect(await codeOf(verifyAccessToken(tampered, keys, at()))).toBe('token_signature_invalid');
    });
  });

  describe('TOKEN-2/TOKEN-3: time', () => {
    it('TOKEN-3: rejects an exp in the past beyond the tolerance with token_expired', async () => {
      const token = twilioToken({ iat: NOW - 7200, exp: NOW - 3600 });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_expired');
    });

    it('TOKEN-3: rejects an nbf in the future beyond the tolerance with token_not_yet_valid', async () => {
      const token = twilioToken({ nbf: NOW + 600, exp: NOW + 3600 });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_not_yet_valid');
    });

    it('TOKEN-3: rejects an iat in the future beyond the tolerance with token_not_yet_valid', async () => {
      const token = twilioToken({ iat: NOW + 600, exp: NOW + 4200 });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_not_yet_valid');
    });

    it('TOKEN-3: default tolerance 30 s — exp 29 s ago verifies, exp 30 s ago is token_expired', async () => {
      const stillOk = twilioToken({ iat: NOW - 3629, exp: NOW - 29 });
      const expired = twilioToken({ iat: NOW - 3630, exp: NOW - 30 });
      await expect(verifyAccessToken(stillOk, keys, at())).resolves.toMatchObject({ expiresAt: NOW - 29 });
      expect(await codeOf(verifyAccessToken(expired, keys, at()))).toBe('token_expired');
    });

    it('TOKEN-3: default tolerance 30 s — nbf and iat 30 s ahead verify, 31 s ahead are token_not_yet_valid', async () => {
      await expect(verifyAccessToken(twilioToken({ nbf: NOW + 30 }), keys, at())).resolves.toBeDefined();
      await expect(
        verifyAccessToken(twilioToken({ iat: NOW + 30, exp: NOW + 3630 }), keys, at()),
      ).resolves.toBeDefined();
      expect(await codeOf(verifyAccessToken(twilioToken({ nbf: NOW + 31 }), keys, at()))).toBe('token_not_yet_valid');
      expect(
        await codeOf(verifyAccessToken(twilioToken({ iat: NOW + 31, exp: NOW + 3631 }), keys, at())),
      ).toBe('token_not_yet_valid');
    });

    it('TOKEN-3: clockToleranceSeconds 0 — a token expires at exp exactly', async () => {
      const options = at({ clockToleranceSeconds: 0 });
      const lastSecond = twilioToken({ iat: NOW - 3599, exp: NOW + 1 });
      const atExp = twilioToken({ iat: NOW - 3600, exp: NOW });
      await expect(verifyAccessToken(lastSecond, keys, options)).resolves.toBeDefined();
      expect(await codeOf(verifyAccessToken(atExp, keys, options))).toBe('token_expired');
      expect(await codeOf(verifyAccessToken(twilioToken({ nbf: NOW + 1 }), keys, options))).toBe(
        'token_not_yet_valid',
      );
    });

    it('TOKEN-3: the injected clock decides, not the system clock', async () => {
      const token = twilioToken();
      const pastExpiryAndTolerance = (): number => NOW_MS + 3630_000;
      expect(await codeOf(verifyAccessToken(token, keys, { now: pastExpiryAndTolerance }))).toBe('token_expired');
      // The real clock (2023 + years) would call it expired; the injected one does not.
      await expect(verifyAccessToken(token, keys, { now: () => NOW_MS + 3_000_000 })).resolves.toBeDefined();
    });
  });

  describe('TOKEN-2: lifetime bounds', () => {
    it('TOKEN-2: rejects exp - iat > 86,400 s with token_ttl_too_long', async () => {
      const token = twilioToken({ exp: NOW + 86_401 });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_ttl_too_long');
    });

    it('TOKEN-2: rejects exp - iat < 180 s with token_ttl_too_short', async () => {
      const token = twilioToken({ exp: NOW + 179 });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_ttl_too_short');
    });

    it('TOKEN-2: accepts exactly 180 s and exactly 86,400 s', async () => {
      await expect(verifyAccessToken(twilioToken({ exp: NOW + 180 }), keys, at())).resolves.toBeDefined();
      await expect(verifyAccessToken(twilioToken({ exp: NOW + 86_400 }), keys, at())).resolves.toBeDefined();
    });

    it('TOKEN-2: measures the lifetime from nbf when present', async () => {
      const tooShort = twilioToken({ iat: NOW - 1000, nbf: NOW, exp: NOW + 179 });
      const tooLong = twilioToken({ iat: NOW, nbf: NOW - 86_400, exp: NOW + 1 });
      expect(await codeOf(verifyAccessToken(tooShort, keys, at()))).toBe('token_ttl_too_short');
      expect(await codeOf(verifyAccessToken(tooLong, keys, at()))).toBe('token_ttl_too_long');
    });
  });

  describe('TOKEN-3: identity', () => {
    it('TOKEN-3: rejects a token without grants.identity with token_identity_missing', async () => {
      const token = twilioToken({ grants: { chat: { service_sid: SERVICE_SID } } });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_identity_missing');
    });

    it('TOKEN-3: rejects an empty identity with token_identity_missing', async () => {
      const token = twilioToken({ grants: { identity: '', chat: { service_sid: SERVICE_SID } } });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_identity_missing');
    });

    it.each([
      ['a number', 42],
      ['an object', { name: 'alice' }],
      ['257 characters', 'a'.repeat(257)],
      ['a NUL', 'ali\u0000ce'],
      ['a newline', 'alice\n'],
      ['a C1 control (NEL)', 'alice\u0085'],
      ['a DEL', 'alice\u007f'],
      ['a lone surrogate', 'alice\ud800'],
    ])('TOKEN-3: rejects an identity that is %s with token_identity_invalid', async (_name, identity) => {
      const token = twilioToken({ grants: { identity, chat: { service_sid: SERVICE_SID } } });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_identity_invalid');
    });

    it('TOKEN-3: counts identity length in code points — 256 emoji (512 UTF-16 units) verify', async () => {
      const identity = '😀'.repeat(256);
      const token = twilioToken({ grants: { identity, chat: { service_sid: SERVICE_SID } } });
      await expect(verifyAccessToken(token, keys, at())).resolves.toMatchObject({ identity });
    });
  });

  describe('TOKEN-3: claims', () => {
    it.each([
      ['exp is missing', { exp: undefined }],
      ['exp is a string', { exp: String(NOW + 3600) }],
      ['iat is missing', { iat: undefined }],
      ['iat is null', { iat: null }],
      ['nbf is a string', { nbf: 'soon' }],
      ['sub is missing', { sub: undefined }],
      ['jti is a number', { jti: 7 }],
      ['grants is missing', { grants: undefined }],
      ['grants is an array', { grants: ['alice'] }],
      ['grants.chat is missing', { grants: { identity: 'alice' } }],
      ['grants.chat.service_sid is missing', { grants: { identity: 'alice', chat: {} } }],
      ['grants.chat.service_sid is a number', { grants: { identity: 'alice', chat: { service_sid: 1 } } }],
      [
        'grants.chat.endpoint_id is a number',
        { grants: { identity: 'alice', chat: { service_sid: SERVICE_SID, endpoint_id: 5 } } },
      ],
      [
        'grants.chat.push_credential_sid is null',
        { grants: { identity: 'alice', chat: { service_sid: SERVICE_SID, push_credential_sid: null } } },
      ],
    ])('TOKEN-3: rejects a token where %s with token_claims_invalid', async (_name, overrides) => {
      const token = twilioToken(overrides);
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_claims_invalid');
    });

    it('TOKEN-3: rejects a kid-addressed token without iss with token_claims_invalid', async () => {
      const token = twilioToken({ iss: undefined }, { ...TWILIO_HEADER, kid: KEY_ID });
      expect(await codeOf(verifyAccessToken(token, keys, at()))).toBe('token_claims_invalid');
    });
  });

  describe('TOKEN-3: ES256 and EdDSA', () => {
    it.each(['ES256', 'EdDSA'] as const)('TOKEN-3: verifies %s with a configured public CryptoKey', async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg);
      const token = await createAccessToken({ identity: 'alice', keyId: 'issuer-1', privateKey, algorithm: alg, now: clock });
      const verified = await verifyAccessToken(token, { publicKeys: { 'issuer-1': { alg, key: publicKey } } }, at());
      expect(verified).toMatchObject({ identity: 'alice', keyId: 'issuer-1', algorithm: alg });
    });

    it.each(['ES256', 'EdDSA'] as const)('TOKEN-3: verifies %s with a public JWK and a Node KeyObject', async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const token = await createAccessToken({ identity: 'alice', keyId: 'issuer-1', privateKey, algorithm: alg, now: clock });
      const jwk = await exportJWK(publicKey);
      const keyObject = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      await expect(
        verifyAccessToken(token, { publicKeys: { 'issuer-1': { alg, key: jwk } } }, at()),
      ).resolves.toMatchObject({ algorithm: alg });
      await expect(
        verifyAccessToken(token, { publicKeys: { 'issuer-1': { alg, key: keyObject } } }, at()),
      ).resolves.toMatchObject({ algorithm: alg });
    });

    it.each(['ES256', 'EdDSA'] as const)('TOKEN-3: verifies %s with a JWKS, finding the key by kid', async (alg) => {
      const other = await generateKeyPair(alg, { extractable: true });
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwks = {
        keys: [
          { ...(await exportJWK(other.publicKey)), kid: 'issuer-0' },
          { ...(await exportJWK(publicKey)), kid: 'issuer-1', use: 'sig' },
        ],
      };
      const token = await createAccessToken({ identity: 'alice', keyId: 'issuer-1', privateKey, algorithm: alg, now: clock });
      await expect(verifyAccessToken(token, { jwks }, at())).resolves.toMatchObject({
        identity: 'alice',
        keyId: 'issuer-1',
        algorithm: alg,
      });
    });

    it('TOKEN-3: finds a JWKS key by iss when the token has no kid', async () => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'issuer-1' }] };
      const token = await signWith({ alg: 'EdDSA', typ: 'JWT' }, twilioPayload({ iss: 'issuer-1' }), privateKey);
      await expect(verifyAccessToken(token, { jwks }, at())).resolves.toMatchObject({ keyId: 'issuer-1' });
    });

    it('TOKEN-3: ignores JWKS keys whose use is enc or whose key_ops exclude verify (token_key_unknown)', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(publicKey);
      const token = await createAccessToken({ identity: 'a', keyId: 'k', privateKey, algorithm: 'ES256', now: clock });
      const encOnly = { jwks: { keys: [{ ...jwk, kid: 'k', use: 'enc' }] } };
      const noVerify = { jwks: { keys: [{ ...jwk, kid: 'k', key_ops: ['encrypt'] }] } };
      expect(await codeOf(verifyAccessToken(token, encOnly, at()))).toBe('token_key_unknown');
      expect(await codeOf(verifyAccessToken(token, noVerify, at()))).toBe('token_key_unknown');
    });

    it('TOKEN-3: rejects an ES256 token signed by another key with token_signature_invalid', async () => {
      const signer = await generateKeyPair('ES256');
      const configured = await generateKeyPair('ES256');
      const token = await createAccessToken({
        identity: 'alice',
        keyId: 'k',
        privateKey: signer.privateKey,
        algorithm: 'ES256',
        now: clock,
      });
      const config: TokenKeys = { publicKeys: { k: { alg: 'ES256', key: configured.publicKey } } };
      expect(await codeOf(verifyAccessToken(token, config, at()))).toBe('token_signature_invalid');
    });

    it('TOKEN-3: during a rotation one id may have several keys; the one that verifies wins', async () => {
      const old = await generateKeyPair('ES256', { extractable: true });
      const next = await generateKeyPair('ES256', { extractable: true });
      const config: TokenKeys = {
        secrets: { k: SECRET },
        publicKeys: { k: { alg: 'ES256', key: old.publicKey } },
        jwks: { keys: [{ ...(await exportJWK(next.publicKey)), kid: 'k' }] },
      };
      const mint = (privateKey: typeof old.privateKey): Promise<string> =>
        createAccessToken({ identity: 'alice', keyId: 'k', privateKey, algorithm: 'ES256', now: clock });
      await expect(verifyAccessToken(await mint(next.privateKey), config, at())).resolves.toMatchObject({ keyId: 'k' });
      await expect(verifyAccessToken(await mint(old.privateKey), config, at())).resolves.toMatchObject({ keyId: 'k' });
      const hs = await createAccessToken({ identity: 'alice', keyId: 'k', secret: SECRET, now: clock });
      await expect(verifyAccessToken(hs, config, at())).resolves.toMatchObject({ algorithm: 'HS256' });
    });
  });

  describe('misuse', () => {
    it.each([
      ['null keys', null],
      ['a string', SECRET],
      ['a secret shorter than 32 bytes', { [KEY_ID]: 'short' }],
      ['a non-string secret in the shorthand', { [KEY_ID]: SECRET, other: 42 }],
      ['an unknown TokenKeys property', { secrets: keys, publicKey: {} }],
      ['a public key with alg HS256', { publicKeys: { k: { alg: 'HS256', key: {} } } }],
      ['a public key without key', { publicKeys: { k: { alg: 'ES256' } } }],
      ['a JWKS without keys', { jwks: {} }],
      ['a symmetric key in the JWKS', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: KEY_ID }] } }],
    ])('TOKEN-3: configuration with %s is a TypeError, not a TokenError', async (_name, config) => {
      await expect(verifyAccessToken(twilioToken(), config as TokenKeys, at())).rejects.toThrow(TypeError);
    });

    it.each([
      ['a negative tolerance', { clockToleranceSeconds: -1 }],
      ['a NaN tolerance', { clockToleranceSeconds: Number.NaN }],
      ['a non-function clock', { now: NOW_MS as unknown as () => number }],
      ['a clock returning a string', { now: (() => 'now') as unknown as () => number }],
    ])('TOKEN-3: options with %s are a TypeError', async (_name, options) => {
      await expect(verifyAccessToken(twilioToken(), keys, options)).rejects.toThrow(TypeError);
    });
  });
});
