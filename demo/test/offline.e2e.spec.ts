import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../src/startDemo.js';
import { WAIT, launchChromium } from './browserPages.js';
import { startTcpProxy, type TcpProxy } from './startTcpProxy.js';

/**
 * The browser proof of the persistent cache and outbox (OFFLINE-1, OFFLINE-2), with the demo app's
 * `indexedDbPersistence()` in real Chromium. The page loads straight from the demo server, but its
 * websocket goes through a TCP relay this test controls (`?ws=`): with the relay cut, a reloaded page
 * can fetch its token but its socket never opens, so whatever it shows came from IndexedDB.
 */


let dir: string;
let demo: DemoServer;
let relay: TcpProxy;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const texts = (p: Page) =>
  p.$$eval('[data-testid="message"]', (items) =>
    items.map((item) => `${item.getAttribute('data-author')}: ${item.querySelector('[data-testid="message-body"]')?.textContent ?? ''} (${item.getAttribute('data-status')})`),
  );

/** Waits until the page shows exactly `expected` (`author: body (status)`), in order. */
async function waitForMessages(p: Page, expected: readonly string[]): Promise<void> {
  try {
    await p.waitForFunction(
      (want) => {
        const items = Array.from(document.querySelectorAll('[data-testid="message"]'));
        const shown = items.map((item) => `${item.getAttribute('data-author')}: ${item.querySelector('[data-testid="message-body"]')?.textContent ?? ''} (${item.getAttribute('data-status')})`);
        return JSON.stringify(shown) === JSON.stringify(want);
      },
      expected,
      WAIT,
    );
  } catch (err) {
    expect(await texts(p)).toEqual(expected);
    throw err;
  }
}

const stateOf = (p: Page) => p.getByTestId('connection-state').evaluate((el) => ({ state: el.getAttribute('data-state'), cached: el.getAttribute('data-cached') }));

function waitForState(p: Page, state: string): Promise<unknown> {
  return p.waitForFunction((want) => document.querySelector('[data-testid="connection-state"]')?.getAttribute('data-state') === want, state, WAIT);
}

/**
 * Waits until this origin's IndexedDB cache holds a message with body `text`, as sent (`'cached'`) or
 * waiting in the outbox (`'outbox'`): the client writes in batches, off the event path. Polled in the
 * page like `waitForFunction` does (which does not await an async predicate), up to WAIT.
 */
async function cacheHolds(p: Page, text: string, where: 'cached' | 'outbox'): Promise<void> {
  const found = await p.evaluate(
    async ({ want, where, timeout }) => {
      const holds = async (): Promise<boolean> => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open('rx-conversations', 1);
          request.onupgradeneeded = () => request.result.createObjectStore('snapshots');
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        const values = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction('snapshots').objectStore('snapshots').getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        db.close();
        return values.some((value) => {
          if (typeof value !== 'string') return false;
          const snapshot = JSON.parse(value) as { cache: { windows: { messages: { body: string }[] }[] } | null; outbox: { body: string }[] };
          return where === 'outbox'
            ? snapshot.outbox.some((o) => o.body === want)
            : snapshot.outbox.length === 0 && (snapshot.cache?.windows ?? []).some((w) => w.messages.some((m) => m.body === want));
        });
      };
      const deadline = Date.now() + timeout;
      while (!(await holds())) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      return true;
    },
    { want: text, where, timeout: WAIT.timeout },
  );
  expect(found).toBe(true);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxc-offline-e2e-'));
  demo = await startDemo({ port: 0, database: join(dir, 'chat.db'), dev: true });
  relay = await startTcpProxy(demo.port);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await relay?.close();
  await demo?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the persistent cache and outbox in headless Chromium', () => {
  it('OFFLINE-1: a reloaded page shows its conversations and messages from IndexedDB before its socket opens, flagged as cached', async () => {
    await page.goto(`${demo.url}?ws=ws://127.0.0.1:${relay.port}/`);
    await page.getByTestId('identity').fill('dora');
    await page.getByTestId('sign-in').click();
    await waitForState(page, 'connected');
    await page.getByTestId('create-friendly-name').fill('Cached chat');
    await page.getByTestId('create-friendly-name').press('Enter');
    await page.getByTestId('conversation-title').filter({ hasText: 'Cached chat' }).waitFor(WAIT);
    await page.getByTestId('composer').fill('hello from before');
    await page.getByTestId('composer').press('Enter');
    await waitForMessages(page, ['dora: hello from before (sent)']);
    await cacheHolds(page, 'hello from before', 'cached');
    expect(await stateOf(page)).toEqual({ state: 'connected', cached: 'false' });

    // The relay refuses every connection: the reloaded page's socket can never open.
    relay.cut();
    await page.reload();
    const item = page.getByTestId('conversation-item').filter({ hasText: 'Cached chat' });
    await item.waitFor(WAIT);
    expect(await stateOf(page)).toEqual({ state: 'connecting', cached: 'true' });
    await item.click();
    await waitForMessages(page, ['dora: hello from before (sent)']);
    expect((await stateOf(page)).state).not.toBe('connected');
  }, 40_000);

  it('OFFLINE-2: sends made offline survive a reload and go out exactly once, in order, when the network is back', async () => {
    for (const body of ['queued 1', 'queued 2']) {
      await page.getByTestId('composer').fill(body);
      await page.getByTestId('composer').press('Enter');
    }
    await waitForMessages(page, ['dora: hello from before (sent)', 'dora: queued 1 (sending)', 'dora: queued 2 (sending)']);
    await cacheHolds(page, 'queued 2', 'outbox');

    await page.reload();
    await page.getByTestId('conversation-item').filter({ hasText: 'Cached chat' }).click();
    await waitForMessages(page, ['dora: hello from before (sent)', 'dora: queued 1 (sending)', 'dora: queued 2 (sending)']);

    relay.restore();
    // The browser's `online` signal makes the client retry at once instead of after its backoff (CONN-3).
    await context.setOffline(true);
    await context.setOffline(false);
    await waitForState(page, 'connected');
    const all = ['dora: hello from before (sent)', 'dora: queued 1 (sent)', 'dora: queued 2 (sent)'];
    await waitForMessages(page, all);

    // What the server holds, seen by a fresh browser with no cache: each send exactly once, in order.
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(demo.url);
    await fresh.getByTestId('identity').fill('dora');
    await fresh.getByTestId('sign-in').click();
    await waitForState(fresh, 'connected');
    expect((await stateOf(fresh)).cached).toBe('false');
    await fresh.getByTestId('conversation-item').filter({ hasText: 'Cached chat' }).click();
    await waitForMessages(fresh, all);
  }, 40_000);
});
