import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../src/startDemo.js';

/** The Debian package's Chromium, headless, with nothing of its own reaching the network. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** How long a browser test waits for what a page should show. */
export const WAIT = { timeout: 10_000 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Signs `identity` in on the demo at `url` and waits until the page is connected. */
export async function signIn(page: Page, url: string, identity: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('identity').fill(identity);
  await page.getByTestId('sign-in').click();
  await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor(WAIT);
}

/** Types `body` into the composer and sends it. */
export async function send(page: Page, body: string): Promise<void> {
  await page.getByTestId('composer').fill(body);
  await page.getByTestId('composer').press('Enter');
}

/** On `owner`'s page: creates a conversation named `friendlyName`, opens it and adds `identity`. */
export async function createWith(owner: Page, friendlyName: string, identity: string): Promise<void> {
  await owner.getByTestId('create-friendly-name').fill(friendlyName);
  await owner.getByTestId('create-friendly-name').press('Enter');
  await owner.getByTestId('conversation-title').filter({ hasText: friendlyName }).waitFor(WAIT);
  await owner.getByTestId('add-participant').fill(identity);
  await owner.getByTestId('add-participant').press('Enter');
  await owner.getByTestId('participants').filter({ hasText: identity }).waitFor(WAIT);
}

/** The demo on a fresh SQLite file and two pages (alice's and bob's) in contexts of their own. */
export interface TwoPages {
  readonly demo: DemoServer;
  readonly alice: Page;
  readonly bob: Page;
  close(): Promise<void>;
}

/** The demo on a fresh SQLite file, and Chromium; `close()` stops both and removes the file. */
export interface DemoAndBrowser {
  readonly demo: DemoServer;
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function demoAndBrowser(name: string): Promise<DemoAndBrowser> {
  const dir = mkdtempSync(join(tmpdir(), `rxc-${name}-e2e-`));
  const demo = await startDemo({ port: 0, database: join(dir, 'chat.db'), dev: true });
  const browser = await launchChromium();
  return {
    demo,
    browser,
    async close() {
      await browser.close();
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new page in a browser context of its own (its own storage: another user), page errors logged. */
export async function pageOfItsOwn(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  return page;
}

export async function twoPages(name: string): Promise<TwoPages> {
  const { demo, browser, close } = await demoAndBrowser(name);
  const [alice, bob] = [await pageOfItsOwn(browser), await pageOfItsOwn(browser)];
  return { demo, alice, bob, close };
}
