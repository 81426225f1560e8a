import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../src/startDemo.js';
import { startTcpProxy, type TcpProxy } from './startTcpProxy.js';

/**
 * The browser proof: two headless Chromium pages chat through the real server (SQLite, websockets)
 * using the demo app, which runs `@rx-conversations/client` from its browser bundle.
 *
 * Network loss is real, not emulated: bob's page reaches the server through a TCP proxy this test
 * controls. Cutting it resets bob's open websocket and refuses his reconnection attempts, like a
 * dropped network; `context.setOffline` on top flips `navigator.onLine` and fires `offline`/`online`,
 * the signal the client uses for an immediate retry (CONN-3). (`setOffline` alone does not close an
 * already-open websocket in every Chromium version, so it would prove nothing by itself.) The second
 * test restarts the server on the same port and database, so both pages lose their sockets for real.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT_DIR = fileURLToPath(new URL('../test-output/', import.meta.url));
const WAIT = { timeout: 10_000 };

let dir: string;
let demo: DemoServer;
let proxy: TcpProxy;
let browser: Browser;
let aliceContext: BrowserContext;
let bobContext: BrowserContext;
let alice: Page;
let bob: Page;

/** What a page shows: `author: body` per message, in display order, with status and index. */
interface ShownMessage {
  readonly text: string;
  readonly status: string;
  readonly index: string;
}

function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.$$eval('[data-testid="message"]', (items) =>
    items.map((item) => ({
      text: `${item.getAttribute('data-author')}: ${item.querySelector('[data-testid="message-body"]')?.textContent ?? ''}`,
      status: item.getAttribute('data-status') ?? '',
      index: item.getAttribute('data-index') ?? '',
    })),
  );
}

/** Waits until the page shows exactly `expected`, in order, every one `sent`. */
async function waitForMessages(page: Page, expected: readonly string[]): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => {
        const items = Array.from(document.querySelectorAll('[data-testid="message"]'));
        const texts = items.map((item) => `${item.getAttribute('data-author')}: ${item.querySelector('[data-testid="message-body"]')?.textContent ?? ''}`);
        return JSON.stringify(texts) === JSON.stringify(want) && items.every((item) => item.getAttribute('data-status') === 'sent');
      },
      expected,
      WAIT,
    );
  } catch (err) {
    // Show what was there instead of a bare timeout.
    expect(await shownMessages(page)).toEqual(expected.map((text) => ({ text, status: 'sent', index: expect.any(String) })));
    throw err;
  }
}

function waitForState(page: Page, states: readonly string[]): Promise<unknown> {
  return page.waitForFunction(
    (want) => want.includes(document.querySelector('[data-testid="connection-state"]')?.getAttribute('data-state') ?? ''),
    states,
    WAIT,
  );
}

async function signIn(page: Page, url: string, identity: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('identity').fill(identity);
  await page.getByTestId('sign-in').click();
  await waitForState(page, ['connected']);
}

async function send(page: Page, body: string): Promise<void> {
  await page.getByTestId('composer').fill(body);
  await page.getByTestId('composer').press('Enter');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxc-e2e-'));
  demo = await startDemo({ port: 0, database: join(dir, 'chat.db'), dev: true });
  console.log(`demo app bundle (client + rxjs + immer + UI): ${(demo.app.scriptBytes.minified / 1024).toFixed(1)} KiB minified, ${(demo.app.scriptBytes.gzip / 1024).toFixed(1)} KiB gzip`);
  proxy = await startTcpProxy(demo.port);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  aliceContext = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  bobContext = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  alice = await aliceContext.newPage();
  bob = await bobContext.newPage();
  for (const page of [alice, bob]) page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await demo?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('demo in headless Chromium', () => {
  const conversation = ['alice: Hi Bob!', 'bob: Hi Alice!'];
  const afterOffline = [...conversation, 'alice: Are you there?', 'alice: Lunch at noon?', 'alice: Third while you were away', 'bob: Sent while offline'];

  it('STORE-2, STORE-7, STORE-9, CONN-5: two pages chat live; bob loses his network and comes back; nothing lost or duplicated', async () => {
    await signIn(alice, demo.url, 'alice');
    await signIn(bob, `http://127.0.0.1:${proxy.port}/`, 'bob');

    // Alice creates a conversation and adds bob; it appears in bob's list live.
    await alice.getByTestId('create-friendly-name').fill('Lunch plans');
    await alice.getByTestId('create-unique-name').fill('lunch');
    await alice.getByTestId('create-unique-name').press('Enter');
    await alice.getByTestId('conversation-title').filter({ hasText: 'Lunch plans' }).waitFor(WAIT);
    await alice.getByTestId('add-participant').fill('bob');
    await alice.getByTestId('add-participant').press('Enter');
    await alice.getByTestId('participants').filter({ hasText: 'bob' }).waitFor(WAIT);
    const bobsItem = bob.getByTestId('conversation-item').filter({ hasText: 'Lunch plans' });
    await bobsItem.waitFor(WAIT);

    // Unread count in bob's list, cleared when he opens the conversation.
    await send(alice, 'Hi Bob!');
    await waitForMessages(alice, ['alice: Hi Bob!']);
    await bobsItem.getByTestId('unread-count').filter({ hasText: '1' }).waitFor(WAIT);
    await bobsItem.click();
    await waitForMessages(bob, ['alice: Hi Bob!']);
    await bobsItem.getByTestId('unread-count').waitFor({ state: 'detached', ...WAIT });

    // Typing indicator, ended by the typist's message.
    await alice.getByTestId('conversation-item').filter({ hasText: 'Lunch plans' }).click();
    await bob.getByTestId('composer').fill('Hi Ali');
    await alice.getByTestId('typing').filter({ hasText: 'bob is typing' }).waitFor(WAIT);
    await send(bob, 'Hi Alice!');
    await waitForMessages(bob, conversation);
    await waitForMessages(alice, conversation);

    // Bob's network drops: his websocket is reset and reconnection attempts are refused.
    proxy.cut();
    await bobContext.setOffline(true);
    await waitForState(bob, ['connecting', 'disconnected']);
    for (const body of ['Are you there?', 'Lunch at noon?', 'Third while you were away']) await send(alice, body);
    await waitForMessages(alice, afterOffline.slice(0, 5));
    // Bob's send while offline is shown at once as `sending` and queued (STORE-7).
    await send(bob, 'Sent while offline');
    await bob.locator('[data-testid="message"][data-status="sending"]').filter({ hasText: 'Sent while offline' }).waitFor(WAIT);
    expect((await shownMessages(bob)).map((m) => m.text)).toEqual([...conversation, 'bob: Sent while offline']);

    // Back online: bob resumes from his last sequence number, receives what he missed, and his queued
    // message goes out exactly once.
    proxy.restore();
    await bobContext.setOffline(false);
    await waitForState(bob, ['connected']);
    await waitForMessages(bob, afterOffline);
    await waitForMessages(alice, afterOffline);

    const [seenByAlice, seenByBob] = [await shownMessages(alice), await shownMessages(bob)];
    expect(seenByBob).toEqual(seenByAlice);
    const indexes = seenByAlice.map((m) => Number(m.index));
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size).toBe(indexes.length);
  }, 40_000);

  it('CONN-3, CONN-5, STORE-5: both pages reconnect after the server restarts on the same port and database; a newcomer joins and sees the history', async () => {
    const { port, database } = demo;
    await demo.close();
    await Promise.all([waitForState(alice, ['connecting', 'disconnected']), waitForState(bob, ['connecting', 'disconnected'])]);
    demo = await startDemo({ port, database, dev: true });
    await Promise.all([waitForState(alice, ['connected']), waitForState(bob, ['connected'])]);

    await send(alice, 'The server restarted');
    await send(bob, 'And we are both back');
    const final = [...afterOffline, 'alice: The server restarted', 'bob: And we are both back'];
    // Both sends were issued concurrently; the server orders them. Wait on the set, then compare order.
    await alice.waitForFunction((n) => document.querySelectorAll('[data-testid="message"][data-status="sent"]').length === n, final.length, WAIT);
    const order = (await shownMessages(alice)).map((m) => m.text);
    expect([...order].sort()).toEqual([...final].sort());
    await waitForMessages(bob, order);
    await waitForMessages(alice, order);
    expect(await shownMessages(bob)).toEqual(await shownMessages(alice));

    // A third user joins by unique name and gets the history (loaded on open, STORE-5).
    const carol = await (await browser.newContext()).newPage();
    await signIn(carol, demo.url, 'carol');
    await carol.getByTestId('join-unique-name').fill('lunch');
    await carol.getByTestId('join-unique-name').press('Enter');
    await carol.getByTestId('conversation-title').filter({ hasText: 'Lunch plans' }).waitFor(WAIT);
    await waitForMessages(carol, order);
    await alice.getByTestId('participants').filter({ hasText: 'carol' }).waitFor(WAIT);

    mkdirSync(OUTPUT_DIR, { recursive: true });
    await alice.screenshot({ path: join(OUTPUT_DIR, 'chat.png') });
    await bob.screenshot({ path: join(OUTPUT_DIR, 'chat-bob.png') });
  }, 30_000);
});
