import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '@rx-conversations/protocol';
import twilio from 'twilio';
import { startServer, type RunningServer } from '../src/index.js';
import { KEY_ID, KEYS, SECRET, tokenFor } from './helpers/testKeys.js';
import { TestClient, tryUpgrade } from './helpers/TestClient.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0, database: ':memory:', keys: KEYS });
});
afterAll(() => server.close());

async function authCheck(token: string | undefined): Promise<{ status: number; body: Record<string, unknown>; header: string | null }> {
  const response = await fetch(`${server.httpUrl}/v1/auth`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, header: response.headers.get('x-rxc-error') };
}

const past = () => Date.now() - 2 * 3600_000;

describe('authentication in the handshake (SRV-2)', () => {
  it('SRV-2: a valid token opens the socket, selects rxc.v1 and welcomes the identity', async () => {
    const client = await TestClient.connect(server.url, await tokenFor('alice'));
    expect(client.socket.protocol).toBe(SUBPROTOCOL);
    expect(client.welcome).toMatchObject({ type: 'welcome', identity: 'alice', resume: 'fresh', headSeq: 0 });
    expect(client.welcome.user).toMatchObject({ identity: 'alice', isOnline: true });
    await client.close();
  });

  it("TOKEN-1, SRV-2: a token minted by the official twilio library's AccessToken opens the socket", async () => {
    const minted = new twilio.jwt.AccessToken(`AC${'0'.repeat(32)}`, KEY_ID, SECRET, { identity: 'zoe', ttl: 600 });
    minted.addGrant(new twilio.jwt.AccessToken.ChatGrant({ serviceSid: `IS${'0'.repeat(32)}` }));
    const client = await TestClient.connect(server.url, minted.toJwt());
    expect(client.welcome).toMatchObject({ identity: 'zoe', resume: 'fresh' });
    await client.close();
  });

  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ['expired', () => tokenFor('alice', { now: past, ttlSeconds: 600 }), 'token_expired'],
    ['bad signature', () => tokenFor('alice', { secret: 'another-secret-that-is-32-bytes-or-more!!' }), 'token_signature_invalid'],
    ['unknown key', () => tokenFor('alice', { keyId: 'SKunknown' }), 'token_key_unknown'],
    ['malformed', async () => 'not.a-jwt', 'token_malformed'],
    ['missing', async () => undefined, 'token_not_a_string'],
  ];

  it.each(cases)('SRV-2: a %s token is refused with 401 before the upgrade, and GET /v1/auth agrees', async (_name, make, code) => {
    const token = await make();
    const protocols = token === undefined ? [SUBPROTOCOL] : [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + token];
    const outcome = await tryUpgrade(server.url, protocols);
    expect(outcome).toEqual({ opened: false, status: 401, error: code, body: JSON.stringify({ code }) });
    const check = await authCheck(token);
    expect(check).toEqual({ status: 401, body: { code }, header: code });
  });

  it('SRV-2: GET /v1/auth answers 200 with identity and expiry (ms) for a valid token, with CORS', async () => {
    const token = await tokenFor('bob', { ttlSeconds: 600 });
    const response = await fetch(`${server.httpUrl}/v1/auth`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await response.json()) as { identity: string; expiresAt: number };
    expect(body.identity).toBe('bob');
    expect(Math.abs(body.expiresAt - (Date.now() + 600_000))).toBeLessThan(5000);
    const preflight = await fetch(`${server.httpUrl}/v1/auth`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('SRV-1: GET /healthz answers 200', async () => {
    const response = await fetch(`${server.httpUrl}/healthz`);
    expect(response.status).toBe(200);
  });

  it('SRV-2: an upgrade that does not offer rxc.v1 is refused', async () => {
    const outcome = await tryUpgrade(server.url, [AUTH_SUBPROTOCOL_PREFIX + (await tokenFor('alice'))]);
    expect(outcome).toMatchObject({ opened: false, status: 400, error: 'subprotocol_missing' });
  });

  it('SRV-1: startServer refuses a key configuration the token package cannot use', async () => {
    await expect(startServer({ port: 0, database: ':memory:', keys: { [KEY_ID]: 'short' } })).rejects.toThrow(TypeError);
  });
});
