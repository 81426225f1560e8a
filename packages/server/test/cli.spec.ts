import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { runCli, type CliResult } from '../src/index.js';
import { tempDatabase } from './helpers/tempDatabase.js';
import { KEY_ID, SECRET, tokenFor } from './helpers/testKeys.js';
import { TestClient } from './helpers/TestClient.js';

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
});
