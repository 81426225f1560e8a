import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { createAccessToken } from '@rx-conversations/token';
import { afterEach, describe, expect, it } from '@jest/globals';
import { runCli, type CliResult } from '../src/index.js';
import { tempDatabase } from './helpers/tempDatabase.js';
import { KEY_ID, SECRET, tokenFor } from './helpers/testKeys.js';
import { TestClient } from './helpers/TestClient.js';
import { twilioClientFor } from './helpers/twilioRest.js';
import { filesIn, mediaUrl, png, textBytes, upload } from './media/mediaHelpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function run(argv: string[], env: Record<string, string> = {}): Promise<CliResult & { out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const result = await runCli(argv, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  if (result.server !== undefined) cleanups.push(() => result.server!.close());
  return { ...result, out, err };
}

describe('the CLI (SRV-1)', () => {
  it('SRV-1: --help prints usage naming every flag and exits 0 without starting', async () => {
    const result = await run(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.server).toBeUndefined();
    const help = result.out.join('\n');
    for (const flag of ['--port', '--host', '--database', '--key-id', '--key-secret', '--keys-file', '--log-level', '--max-connections', '--max-connections-per-identity', 'RXC_KEYS', 'RXC_PORT', 'RXC_MAX_CONNECTIONS_PER_IDENTITY']) {
      expect(help).toContain(flag);
    }
  });

  it('SRV-1: refuses to start without keys, with a clear message', async () => {
    const result = await run(['--port', '0', '--database', ':memory:']);
    expect(result.exitCode).toBe(2);
    expect(result.server).toBeUndefined();
    expect(result.err.join('\n')).toMatch(/no signing keys/);
  });

  it('SRV-1: rejects unknown flags, unpaired keys, short secrets and bad ports', async () => {
    expect((await run(['--bogus'])).exitCode).toBe(2);
    expect((await run(['--key-id', 'SKa'])).err.join()).toMatch(/pairs/);
    expect((await run(['--key-id', 'SKa', '--key-secret', 'short'])).err.join()).toMatch(/32 bytes/);
    expect((await run(['--port', 'http'], { RXC_KEYS: JSON.stringify({ [KEY_ID]: SECRET }) })).err.join()).toMatch(/--port/);
    expect((await run([], { RXC_KEYS: '{nope' })).err.join()).toMatch(/RXC_KEYS is not valid JSON/);
    const keys = { RXC_KEYS: JSON.stringify({ [KEY_ID]: SECRET }) };
    expect((await run(['--max-connections', '0'], keys)).err.join()).toMatch(/--max-connections must be a positive integer/);
    expect((await run([], { ...keys, RXC_MAX_CONNECTIONS_PER_IDENTITY: 'lots' })).err.join()).toMatch(/--max-connections-per-identity must be a positive integer/);
  });

  it('SRV-1, SRV-5: --max-connections-per-identity limits one identity; its next socket is refused with 503', async () => {
    const result = await run(['--port', '0', '--database', ':memory:', '--key-id', KEY_ID, '--key-secret', SECRET, '--log-level', 'silent', '--max-connections-per-identity', '1']);
    expect(result.exitCode).toBe(0);
    const first = await TestClient.connect(result.server!.url, await tokenFor('alice'));
    cleanups.push(() => first.close());
    await expect(TestClient.connect(result.server!.url, await tokenFor('alice'))).rejects.toThrow(/503/);
  });

  it('SRV-1: starts from flags, prints where it listens, accepts tokens, and stops', async () => {
    const db = tempDatabase();
    cleanups.push(db.cleanup);
    const result = await run(['--port', '0', '--database', db.path, '--key-id', KEY_ID, '--key-secret', SECRET, '--log-level', 'silent']);
    expect(result.exitCode).toBe(0);
    const server = result.server!;
    expect(result.out.join('\n')).toContain(server.url);
    const client = await TestClient.connect(server.url, await tokenFor('alice'));
    expect(client.welcome.identity).toBe('alice');
    await server.close();
    expect((await client.closed).code).toBe(1001);
  });

  it('SRV-1: reads port, host, database, keys and log level from the environment, and keys from a file', async () => {
    const db = tempDatabase();
    cleanups.push(db.cleanup);
    const keysFile = `${db.dir}/keys.json`;
    const result = await run(['--keys-file', keysFile], {
      RXC_PORT: '0',
      RXC_HOST: '127.0.0.1',
      RXC_DATABASE: db.path,
      RXC_LOG_LEVEL: 'silent',
      RXC_KEYS: JSON.stringify({ SKother: 'another-secret-that-is-32-bytes-long!!' }),
    });
    // The keys file did not exist yet: a usage error naming it.
    expect(result.exitCode).toBe(2);
    expect(result.err.join()).toContain(keysFile);
    writeFileSync(keysFile, JSON.stringify({ [KEY_ID]: SECRET }));
    const started = await run(['--keys-file', keysFile], { RXC_PORT: '0', RXC_DATABASE: db.path, RXC_LOG_LEVEL: 'silent' });
    expect(started.exitCode).toBe(0);
    expect(started.server!.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const client = await TestClient.connect(started.server!.url, await tokenFor('bob'));
    expect(client.welcome.identity).toBe('bob');
    await client.close();
  });

  it('SRV-1, ADMIN-1: configures the account, auth token, service, push webhook, rate limit and a JWKS from flags and the environment', async () => {
    const db = tempDatabase();
    cleanups.push(db.cleanup);
    const pushes: Array<{ identity: string; kind: string }> = [];
    let delivered: () => void = () => undefined;
    const pushed = new Promise<void>((resolve) => (delivered = resolve));
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const delivery = JSON.parse(body) as { identity: string; payload: { kind: string } };
        pushes.push({ identity: delivery.identity, kind: delivery.payload.kind });
        res.end();
        delivered();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((done) => receiver.close(() => done())));
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwksFile = `${db.dir}/jwks.json`;
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'issuer-1', alg: 'ES256', use: 'sig' }] }));

    const account = 'AC33333333333333333333333333333333';
    const service = 'IS44444444444444444444444444444444';
    const authToken = 'the-auth-token-of-this-account';
    const started = await run(
      ['--port', '0', '--database', db.path, '--jwks', jwksFile, '--service-sid', service, '--rate-limit', '1', '--rate-burst', '2', '--log-level', 'silent'],
      {
        RXC_KEYS: JSON.stringify({ [KEY_ID]: SECRET }),
        RXC_ACCOUNT_SID: account,
        RXC_AUTH_TOKEN: authToken,
        RXC_PUSH_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/push`,
      },
    );
    expect(started.err).toEqual([]);
    expect(started.exitCode).toBe(0);
    const server = started.server!;

    // The JWKS verifies tokens signed with its private key.
    const esToken = await createAccessToken({ identity: 'carol', keyId: 'issuer-1', privateKey, algorithm: 'ES256' });
    const carol = await TestClient.connect(server.url, esToken);
    expect(carol.welcome.identity).toBe('carol');

    // The account sid with the auth token signs in to REST, under the configured service.
    const backend = twilioClientFor(server, { username: account, password: authToken }).conversations.v1;
    const conversation = await backend.services(service).conversations.create({ friendlyName: 'configured' });
    expect(conversation).toMatchObject({ accountSid: account, chatServiceSid: service });

    // Per-connection rate limit of burst 2: the third request at once is refused.
    const answers = await Promise.allSettled([1, 2, 3].map(() => carol.request('users.get', { identity: 'carol' })));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((answers[2] as PromiseRejectedResult).reason.error.code).toBe('rate_limited');

    // Pushes for participants with no connection go to the webhook.
    const dave = await TestClient.connect(server.url, await tokenFor('dave'));
    await dave.request('push.register', { type: 'fcm', token: 'dave-device' });
    await dave.close();
    await backend.conversations(conversation.sid).participants.create({ identity: 'dave' });
    await backend.conversations(conversation.sid).messages.create({ body: 'ping' });
    await pushed;
    expect(pushes).toEqual([{ identity: 'dave', kind: 'newMessage' }]);
    await carol.close();
  });
  it('SRV-1, MEDIA-3: configures media from flags and the environment: directory, size limit, types, URL origin', async () => {
    const db = tempDatabase();
    cleanups.push(() => db.cleanup());
    const mediaDir = `${db.dir}/uploads`;
    const result = await run(
      ['--port', '0', '--database', ':memory:', '--key-id', KEY_ID, '--key-secret', SECRET, '--media-dir', mediaDir, '--media-max-bytes', '200', '--log-level', 'silent'],
      { RXC_MEDIA_TYPES: 'image/*, application/pdf', RXC_MEDIA_PUBLIC_URL: 'https://chat.example.com' },
    );
    expect(result.exitCode).toBe(0);
    const server = result.server!;
    const alice = await TestClient.connect(server.url, await tokenFor('alice'));
    cleanups.push(() => alice.close());
    const { sid } = await alice.request('conversations.create', {});
    expect((await upload(server, 'alice', sid, textBytes(10), { contentType: 'text/plain' })).code).toBe('media_type_not_allowed');
    expect((await upload(server, 'alice', sid, await png(200, 200))).code).toBe('media_too_large');
    const stored = await upload(server, 'alice', sid, await png(1, 1));
    expect(stored.status).toBe(201);
    expect(filesIn(mediaDir)).toContain(stored.body.sid);
    expect((await mediaUrl(server, 'alice', stored.body.sid)).body.url).toMatch(/^https:\/\/chat\.example\.com\/v1\/media\/ME/);

    const both = await run(['--port', '0', '--key-id', KEY_ID, '--key-secret', SECRET, '--media-dir', mediaDir, '--media-s3-bucket', 'b']);
    expect([both.exitCode, both.err[0]]).toEqual([2, 'rx-conversations-server: give --media-dir or --media-s3-bucket, not both.']);
  });
});
