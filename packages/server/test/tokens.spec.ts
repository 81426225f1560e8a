import { afterEach, describe, expect, it } from '@jest/globals';
import { decodeAccessToken } from '@rx-conversations/token';
import { startServer } from '../src/index.js';
import { tokenFor, KEYS } from './helpers/testKeys.js';
import { TestClient } from './helpers/TestClient.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Tokens live at least 180 s, so the server's clock is shifted forward instead of waiting: the
 * connection's token then has `remainingMs` left by the server's reckoning when the socket opens.
 * The shift is set once the server is up, so a slow start on a loaded machine does not eat into it.
 */
async function shortLived(identity: string, remainingMs: number, tokenNoticeLeadMs?: number) {
  const token = await tokenFor(identity, { ttlSeconds: 180 });
  const expMs = decodeAccessToken(token).expiresAt! * 1000;
  let offset = 0;
  const server = await startServer({
    port: 0,
    database: ':memory:',
    keys: KEYS,
    clock: () => Date.now() + offset,
    ...(tokenNoticeLeadMs === undefined ? {} : { tokenNoticeLeadMs }),
  });
  cleanups.push(() => server.close());
  offset = expMs - Date.now() - remainingMs;
  const client = await TestClient.connect(server.url, token);
  cleanups.push(() => client.close());
  return { server, client, expMs };
}

describe('tokens on the open socket (SRV-2, CONN-7)', () => {
  it('SRV-2: inside the lead time the notice comes at once; at exp the socket closes with 4001 token_expired', async () => {
    const { client, expMs } = await shortLived('alice', 2000);
    expect(client.welcome.tokenExpiresAt).toBe(expMs);
    const notice = await client.waitFor((f) => f.type === 'notice');
    expect(notice).toEqual({ type: 'notice', kind: 'tokenAboutToExpire', expiresAt: expMs });
    expect(await client.closed).toEqual({ code: 4001, reason: 'token_expired' });
  });

  // What must *not* happen early (the notice before its time, a close after token.update) is shown in
  // virtual time on the core's Session (packages/server-core/src/Session.spec.ts), not by waiting here.

  it('SRV-2: token.update with a token for the same identity is accepted with its new expiry', async () => {
    const { client } = await shortLived('alice', 1000);
    const fresh = await tokenFor('alice', { ttlSeconds: 3600 });
    const result = await client.request('token.update', { token: fresh });
    expect(result.expiresAt).toBe(decodeAccessToken(fresh).expiresAt! * 1000);
    expect(await client.request('users.get', { identity: 'alice' })).toMatchObject({ identity: 'alice' });
  });

  it('SRV-2: token.update for another identity, or with a bad token, is refused and the old token stays', async () => {
    const { client } = await shortLived('alice', 60_000);
    expect((await client.requestError('token.update', { token: await tokenFor('mallory') })).code).toBe('token_identity_mismatch');
    expect((await client.requestError('token.update', { token: 'garbage.token.here' })).code).toBe('token_malformed');
    const wrongKey = await tokenFor('alice', { secret: 'not-the-right-secret-but-32-bytes-long' });
    expect((await client.requestError('token.update', { token: wrongKey })).code).toBe('token_signature_invalid');
    expect(await client.request('users.get', { identity: 'alice' })).toMatchObject({ identity: 'alice' });
  });
});

