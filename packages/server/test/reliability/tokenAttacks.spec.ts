// Token attacks (TOKEN-2, TOKEN-3, SRV-2): every forged, stale or ill-formed token is refused at the
// handshake (HTTP 401 + x-rxc-error, no websocket), by GET /v1/auth, and by token.update on an open
// socket, each with its own code; a refused update leaves the session exactly as it was.
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, type ErrorCode } from '@rx-conversations/protocol';
import { createAccessToken } from '@rx-conversations/token';
import { startServer, type RunningServer } from '../../src/index.js';
import { KEY_ID, SECRET, tokenFor } from '../helpers/testKeys.js';
import { TestClient, tryUpgrade } from '../helpers/TestClient.js';
import { claims, HS_HEADER, nowSeconds, signHs256, unsigned, validHs256 } from './handmadeTokens.js';

const ES_KID = 'ES-issuer-1';
const ED_KID = 'ED-issuer-1';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token really signed with an asymmetric private key (the attacker's or the issuer's). */
function signAsymmetric(alg: 'ES256' | 'RS256' | 'EdDSA', kid: string, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url({ alg, typ: 'JWT', kid })}.${b64url(payload)}`;
  const signature = alg === 'EdDSA'
    ? cryptoSign(null, Buffer.from(input), key)
    : cryptoSign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const attackerEs = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

let server: RunningServer;
let alice: TestClient;
let aliceToken: string;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    database: ':memory:',
    keys: {
      secrets: { [KEY_ID]: SECRET },
      publicKeys: { [ES_KID]: { alg: 'ES256', key: es.publicKey }, [ED_KID]: { alg: 'EdDSA', key: ed.publicKey } },
    },
    rateLimit: { burst: 1000, ratePerSecond: 1000 },
  });
  aliceToken = await tokenFor('alice');
  alice = await TestClient.connect(server.url, aliceToken);
});
afterAll(async () => {
  await alice.close();
  await server.close();
});

interface Attack {
  readonly name: string;
  readonly token: () => string | Promise<string>;
  readonly code: ErrorCode;
}

const t = nowSeconds;
const esPem = es.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const esDer = es.publicKey.export({ type: 'spki', format: 'der' });
const edPem = ed.publicKey.export({ type: 'spki', format: 'pem' }) as string;

const attacks: Attack[] = [
  // alg: none, in the spellings libraries have historically accepted
  { name: 'alg none, empty signature', token: () => unsigned({ alg: 'none', typ: 'JWT', kid: KEY_ID }, claims('alice')), code: 'token_algorithm_not_allowed' },
  { name: 'alg NONE', token: () => unsigned({ alg: 'NONE', typ: 'JWT' }, claims('alice')), code: 'token_algorithm_not_allowed' },
  { name: 'alg nOnE with a signature', token: () => `${unsigned({ alg: 'nOnE', typ: 'JWT' }, claims('alice'))}c2lnbmF0dXJl`, code: 'token_algorithm_not_allowed' },
  // HS/RS (and HS/EC, HS/Ed) confusion: HMAC "signed" with a public key's bytes, kid of that public key
  { name: 'HS256 signed with the ES256 public key (PEM) as secret', token: () => signHs256({ ...HS_HEADER, kid: ES_KID }, claims('alice'), esPem), code: 'token_algorithm_not_allowed' },
  { name: 'HS256 signed with the ES256 public key (DER) as secret', token: () => signHs256({ ...HS_HEADER, kid: ES_KID }, claims('alice'), esDer), code: 'token_algorithm_not_allowed' },
  { name: 'HS256 signed with the EdDSA public key (PEM) as secret', token: () => signHs256({ ...HS_HEADER, kid: ED_KID }, claims('alice'), edPem), code: 'token_algorithm_not_allowed' },
  { name: 'RS256 with the attacker’s RSA key, kid of the HS256 secret', token: () => signAsymmetric('RS256', KEY_ID, claims('alice'), attackerRsa.privateKey), code: 'token_algorithm_not_allowed' },
  { name: 'ES256 with the attacker’s key, kid of the HS256 secret', token: () => signAsymmetric('ES256', KEY_ID, claims('alice'), attackerEs.privateKey), code: 'token_algorithm_not_allowed' },
  { name: 'EdDSA header on the ES256 key', token: () => signAsymmetric('EdDSA', ES_KID, claims('alice'), ed.privateKey), code: 'token_algorithm_not_allowed' },
  { name: 'ES256 with the attacker’s key, kid of the issuer’s ES256 key', token: () => signAsymmetric('ES256', ES_KID, claims('alice'), attackerEs.privateKey), code: 'token_signature_invalid' },
  // signatures
  { name: 'signature stripped', token: () => validHs256('alice').replace(/[^.]+$/, ''), code: 'token_signature_invalid' },
  {
    name: 'payload swapped to another identity, signature kept',
    token: () => {
      const [header, , signature] = validHs256('alice').split('.');
      return `${header}.${b64url(claims('admin'))}.${signature}`;
    },
    code: 'token_signature_invalid',
  },
  { name: 'signed with a wrong secret', token: () => signHs256(HS_HEADER, claims('alice'), 'another-secret-that-is-32-bytes-or-more!'), code: 'token_signature_invalid' },
  // keys
  { name: 'unknown kid', token: () => signHs256({ ...HS_HEADER, kid: 'SKunknown' }, claims('alice')), code: 'token_key_unknown' },
  { name: 'unknown iss, no kid', token: () => signHs256(HS_HEADER, claims('alice', { iss: 'SKunknown' })), code: 'token_key_unknown' },
  // time
  { name: 'expired', token: () => validHs256('alice', { iat: t() - 7200, exp: t() - 3600 }), code: 'token_expired' },
  { name: 'nbf in the future', token: () => validHs256('alice', { iat: t(), nbf: t() + 600, exp: t() + 4200 }), code: 'token_not_yet_valid' },
  { name: 'iat in the future', token: () => validHs256('alice', { iat: t() + 600, exp: t() + 4200 }), code: 'token_not_yet_valid' },
  { name: 'TTL beyond 24 h', token: () => validHs256('alice', { iat: t(), exp: t() + 86_401 }), code: 'token_ttl_too_long' },
  { name: 'TTL under 3 min', token: () => validHs256('alice', { iat: t(), exp: t() + 179 }), code: 'token_ttl_too_short' },
  // identity
  { name: 'identity missing', token: () => validHs256(undefined), code: 'token_identity_missing' },
  { name: 'identity empty', token: () => validHs256(''), code: 'token_identity_missing' },
  { name: 'identity with NUL', token: () => validHs256('ali\u0000ce'), code: 'token_identity_invalid' },
  { name: 'identity with a newline', token: () => validHs256('alice\nadmin'), code: 'token_identity_invalid' },
  { name: 'identity with DEL', token: () => validHs256('alice\u007f'), code: 'token_identity_invalid' },
  { name: 'identity with a C1 control', token: () => validHs256('alice\u0085'), code: 'token_identity_invalid' },
  { name: 'identity with a lone surrogate', token: () => validHs256('alice\ud800'), code: 'token_identity_invalid' },
  { name: 'identity not a string', token: () => validHs256(42), code: 'token_identity_invalid' },
  { name: 'identity of 257 code points', token: () => validHs256('a'.repeat(257)), code: 'token_identity_invalid' },
  // structure
  { name: 'grants missing', token: () => signHs256(HS_HEADER, { ...claims('alice'), grants: undefined }), code: 'token_claims_invalid' },
  { name: 'not a JWT', token: () => 'not-a-jwt', code: 'token_malformed' },
  { name: 'header not JSON', token: () => `${Buffer.from('{').toString('base64url')}.${b64url(claims('alice'))}.abc`, code: 'token_malformed' },
];

describe('token attacks (TOKEN-2, TOKEN-3, SRV-2)', () => {
  it.each(attacks)('TOKEN-3: $name → $code at the handshake (401, no websocket) and from GET /v1/auth', async ({ token, code }) => {
    const forged = await token();
    const outcome = await tryUpgrade(server.url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + forged]);
    expect(outcome).toEqual({ opened: false, status: 401, error: code, body: JSON.stringify({ code }) });
    const probe = await fetch(`${server.httpUrl}/v1/auth`, { headers: { authorization: `Bearer ${forged}` } });
    expect(probe.status).toBe(401);
    expect(probe.headers.get('x-rxc-error')).toBe(code);
  });

  it.each(attacks)('SRV-2: $name → $code on token.update; the session keeps its identity', async ({ token, code }) => {
    const error = await alice.requestError('token.update', { token: await token() });
    expect(error.code).toBe(code);
    // The connection is still alice's, with her original token in force.
    const me = await alice.request('users.get', { identity: 'alice' });
    expect(me.identity).toBe('alice');
    expect(alice.socket.readyState).toBe(alice.socket.OPEN);
  });

  it('SRV-2: a handshake without any token → 401 token_not_a_string', async () => {
    const outcome = await tryUpgrade(server.url, [SUBPROTOCOL]);
    expect(outcome).toMatchObject({ opened: false, status: 401, error: 'token_not_a_string' });
  });

  it('SRV-2: the control tokens are accepted (the attacks fail for their stated reason, not by accident)', async () => {
    const good = [
      validHs256('alice'),
      signAsymmetric('ES256', ES_KID, claims('alice'), es.privateKey),
      signAsymmetric('EdDSA', ED_KID, claims('alice'), ed.privateKey),
      validHs256('alice', { iat: t(), exp: t() + 86_400 }),
      validHs256('alice', { iat: t(), exp: t() + 180 }),
      validHs256('a'.repeat(256)),
    ];
    for (const token of good) {
      expect(await tryUpgrade(server.url, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token])).toEqual({ opened: true });
    }
    const updated = await alice.request('token.update', { token: signAsymmetric('ES256', ES_KID, claims('alice'), es.privateKey) });
    expect(updated.expiresAt).toBeGreaterThan(Date.now());
  });

  it('SRV-2: a token of another identity replayed into token.update → token_identity_mismatch; nothing of bob’s reaches alice', async () => {
    const bobToken = await tokenFor('bob');
    const bob = await TestClient.connect(server.url, bobToken);
    try {
      const { sid } = await bob.request('conversations.create', { friendlyName: 'bob only' });
      const mismatch = await alice.requestError('token.update', { token: bobToken });
      expect(mismatch.code).toBe('token_identity_mismatch');
      // A freshly minted token for bob, or one that differs only in `jti`, is refused the same way.
      const fresh = await createAccessToken({ identity: 'bob', keyId: KEY_ID, secret: SECRET });
      expect((await alice.requestError('token.update', { token: fresh })).code).toBe('token_identity_mismatch');
      // Alice is still alice: bob's conversation is closed to her, and his writes do not reach her.
      expect((await alice.requestError('messages.list', { sid })).code).toBe('not_a_participant');
      const sent = await bob.request('messages.send', { sid, body: 'secret', idempotencyKey: 'bob-secret-1' });
      const ownSid = (await alice.request('conversations.create', {})).sid;
      const mine = await alice.request('messages.send', { sid: ownSid, body: 'still alice', idempotencyKey: 'alice-own-1' });
      expect(mine.author).toBe('alice');
      expect(sent.author).toBe('bob');
      const leaked = alice.frames.filter((f) => JSON.stringify(f).includes(sid));
      expect(leaked).toEqual([]);
    } finally {
      await bob.close();
    }
  });
});
