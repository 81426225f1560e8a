import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { verifyAccessToken } from '@rx-conversations/token';
import { startDemo, type DemoServer } from '../src/startDemo.js';

const dir = mkdtempSync(join(tmpdir(), 'rxc-demo-'));
const running: DemoServer[] = [];

async function start(dev: boolean): Promise<DemoServer> {
  const demo = await startDemo({ port: 0, database: join(dir, `${dev ? 'dev' : 'prod'}/demo.db`), dev, keys: { SKtest: 'x'.repeat(32) } });
  running.push(demo);
  return demo;
}

const postToken = (demo: DemoServer, body: unknown): Promise<Response> =>
  fetch(new URL('/dev/token', demo.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

afterAll(async () => {
  await Promise.all(running.map((demo) => demo.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('startDemo', () => {
  it('serves the app: index.html, the bundled script and the stylesheet', async () => {
    const demo = await start(false);
    const page = await fetch(demo.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="sign-in-form"');
    const script = await fetch(new URL('/main.js', demo.url));
    expect(script.headers.get('content-type')).toContain('javascript');
    expect((await script.text()).length).toBeGreaterThan(1000);
    expect((await fetch(new URL('/style.css', demo.url))).status).toBe(200);
  });

  it('keeps the development token endpoint off unless dev is set', async () => {
    const demo = await start(false);
    const response = await postToken(demo, { identity: 'mallory' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'dev_tokens_disabled' });
  });

  it('with dev set, mints a token for the name with the key stored beside the database', async () => {
    const demo = await start(true);
    const response = await postToken(demo, { identity: 'alice' });
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    const key = JSON.parse(readFileSync(join(dir, 'dev', 'dev-key.json'), 'utf8')) as { keyId: string; secret: string };
    expect(key).toEqual(demo.devKey);
    const verified = await verifyAccessToken(token, { [key.keyId]: key.secret });
    expect(verified.identity).toBe('alice');

    expect((await postToken(demo, { identity: '' })).status).toBe(400);
    expect((await postToken(demo, 'not an object')).status).toBe(400);
  });
});
