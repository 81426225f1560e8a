import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { WAIT, createWith, demoAndBrowser, pageOfItsOwn, send, signIn, type DemoAndBrowser } from './browserPages.js';

/**
 * Three tabs of alice's demo share one websocket (OFFLINE-3), in real Chromium: Web Locks pick the
 * tab that holds the socket, BroadcastChannel carries its stream to the others. Closing that tab in
 * the middle of bob's messages hands the socket to another tab, and both remaining tabs show every
 * message once, in order.
 */

let env: DemoAndBrowser;

beforeAll(async () => {
  env = await demoAndBrowser('tabs');
}, 30_000);

afterAll(async () => {
  await env?.close();
});

const bodies = (p: Page) => p.$$eval('[data-testid="message-body"]', (items) => items.map((item) => item.textContent ?? ''));

/** Waits until `page` shows exactly `expected`, in order (no message missing, none twice). */
async function showsExactly(page: Page, expected: readonly string[], timeout = WAIT.timeout): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => JSON.stringify(Array.from(document.querySelectorAll('[data-testid="message-body"]')).map((b) => b.textContent ?? '')) === JSON.stringify(want),
      expected,
      { timeout },
    );
  } catch (err) {
    expect(await bodies(page)).toEqual(expected);
    throw err;
  }
}

describe('tabs of one app share one websocket (OFFLINE-3)', () => {
  it('OFFLINE-3: three tabs, one socket; the leading tab closes mid-stream; another takes over within 2 s and no message is lost or shown twice', async () => {
    const { demo, browser } = env;
    // Alice's three tabs share one context (one origin's storage, locks and channels); bob has his own.
    const aliceContext = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const bob = await pageOfItsOwn(browser);
    const tabs: Page[] = [];
    /** The websockets each of alice's tabs opened, by tab. */
    const sockets = new Map<Page, number>();
    for (let i = 0; i < 3; i += 1) {
      const page = await aliceContext.newPage();
      page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
      sockets.set(page, 0);
      page.on('websocket', () => sockets.set(page, sockets.get(page)! + 1));
      tabs.push(page);
      await signIn(page, demo.url, 'alice');
    }
    expect([...sockets.values()].reduce((a, b) => a + b, 0)).toBe(1);
    const leader = tabs.find((page) => sockets.get(page) === 1)!;
    const followers = tabs.filter((page) => page !== leader);

    await signIn(bob, demo.url, 'bob');
    await createWith(bob, 'Three tabs', 'alice');
    for (const page of tabs) {
      const item = page.getByTestId('conversation-item').filter({ hasText: 'Three tabs' });
      await item.waitFor(WAIT);
      await item.click();
      await page.getByTestId('conversation-title').filter({ hasText: 'Three tabs' }).waitFor(WAIT);
    }

    // A follower sends through the leader's socket; every tab shows it.
    await send(followers[0]!, 'from a follower tab');
    for (const page of tabs) await showsExactly(page, ['from a follower tab']);

    const expected = ['from a follower tab'];
    for (let i = 0; i < 12; i += 1) {
      const body = `m${i}`;
      if (i === 6) {
        const closedAt = Date.now();
        await leader.close();
        await send(bob, body);
        expected.push(body);
        // The first message after the close reaches both remaining tabs within 2 s of it.
        await Promise.all(followers.map((page) => showsExactly(page, expected, 2_000)));
        expect(Date.now() - closedAt).toBeLessThan(2_000);
        continue;
      }
      await send(bob, body);
      expected.push(body);
    }
    for (const page of followers) await showsExactly(page, expected);
    // Exactly one of the two remaining tabs opened the one new socket.
    expect(followers.map((page) => sockets.get(page)).sort()).toEqual([0, 1]);

    // The new leader's tab and the other one keep working both ways.
    await send(followers.find((page) => sockets.get(page) === 0)!, 'still here');
    await bob.locator('[data-testid="message-body"]').filter({ hasText: 'still here' }).waitFor(WAIT);
    await aliceContext.close();
  }, 60_000);
});
