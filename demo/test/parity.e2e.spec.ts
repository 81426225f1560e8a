import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type DemoServer } from '../src/startDemo.js';

/**
 * What every chat UI has, in the demo, proved in headless Chromium against the real server (PARITY-3):
 * reactions (counts, and which are mine), replies quoting their message, read receipts, timestamps,
 * each message's status, and unread badges in the list.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = { timeout: 10_000 };

let dir: string;
let demo: DemoServer;
let browser: Browser;
let alice: Page;
let bob: Page;

async function signIn(page: Page, identity: string): Promise<void> {
  await page.goto(demo.url);
  await page.getByTestId('identity').fill(identity);
  await page.getByTestId('sign-in').click();
  await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor(WAIT);
}

async function send(page: Page, body: string): Promise<void> {
  await page.getByTestId('composer').fill(body);
  await page.getByTestId('composer').press('Enter');
}

/** The page's message whose body is `body`, once sent. */
const sentMessage = (page: Page, body: string) =>
  page.locator('[data-testid="message"][data-status="sent"]').filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxc-parity-e2e-'));
  demo = await startDemo({ port: 0, database: join(dir, 'chat.db'), dev: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  alice = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  bob = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  for (const page of [alice, bob]) page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the demo shows reactions, replies, receipts, times, statuses and unread badges (PARITY-3)', () => {
  it('PARITY-3: two pages react, reply and read; each sees counts, its own reactions, quotes, receipts and unread badges', async () => {
    await signIn(alice, 'alice');
    await signIn(bob, 'bob');
    await alice.getByTestId('create-friendly-name').fill('Pizza night');
    await alice.getByTestId('create-friendly-name').press('Enter');
    await alice.getByTestId('conversation-title').filter({ hasText: 'Pizza night' }).waitFor(WAIT);
    await alice.getByTestId('add-participant').fill('bob');
    await alice.getByTestId('add-participant').press('Enter');
    await alice.getByTestId('participants').filter({ hasText: 'bob' }).waitFor(WAIT);

    await send(alice, 'Pizza at eight?');
    const question = sentMessage(alice, 'Pizza at eight?');
    await question.waitFor(WAIT);
    // A sent message shows its time and its status.
    expect(await question.getByTestId('message-status').textContent()).toBe('✓');
    expect(await question.getByTestId('message-time').textContent()).toMatch(/\d{1,2}:\d{2}/);

    // Bob's list shows the unread badge until he opens the conversation.
    const bobsItem = bob.getByTestId('conversation-item').filter({ hasText: 'Pizza night' });
    await bobsItem.getByTestId('unread-count').filter({ hasText: '1' }).waitFor(WAIT);
    await bobsItem.click();
    await bobsItem.getByTestId('unread-count').waitFor({ state: 'detached', ...WAIT });

    // Bob has read it: alice sees the receipt under her message.
    await question.getByTestId('seen-by').filter({ hasText: 'Seen by bob' }).waitFor(WAIT);

    // Bob reacts; alice sees the count, not as hers; then she reacts too.
    await sentMessage(bob, 'Pizza at eight?').locator('[data-testid="reaction"][data-emoji="👍"]').click();
    const thumbs = question.locator('[data-testid="reaction"][data-emoji="👍"]');
    await alice.locator('[data-testid="reaction"][data-emoji="👍"][data-count="1"]').waitFor(WAIT);
    expect(await thumbs.getAttribute('class')).toBe('reaction');
    await thumbs.click();
    await alice.locator('[data-testid="reaction"][data-emoji="👍"][data-count="2"].mine').waitFor(WAIT);
    await bob.locator('[data-testid="reaction"][data-emoji="👍"][data-count="2"].mine').waitFor(WAIT);
    // Taking hers back leaves bob's.
    await thumbs.click();
    await alice.locator('[data-testid="reaction"][data-emoji="👍"][data-count="1"]:not(.mine)').waitFor(WAIT);

    // Bob replies to the question; both pages quote it.
    await sentMessage(bob, 'Pizza at eight?').getByTestId('reply').click();
    await bob.getByTestId('replying').filter({ hasText: 'Replying to alice: Pizza at eight?' }).waitFor(WAIT);
    await send(bob, 'Yes, with olives');
    for (const page of [alice, bob]) {
      await sentMessage(page, 'Yes, with olives').getByTestId('reply-to').filter({ hasText: 'alice: Pizza at eight?' }).waitFor(WAIT);
    }
    expect(await bob.getByTestId('replying').isHidden()).toBe(true);

    // Alice opens another conversation: bob's next message shows as unread in her list.
    await alice.getByTestId('create-friendly-name').fill('Elsewhere');
    await alice.getByTestId('create-friendly-name').press('Enter');
    await alice.getByTestId('conversation-title').filter({ hasText: 'Elsewhere' }).waitFor(WAIT);
    await send(bob, 'See you there');
    await alice.getByTestId('conversation-item').filter({ hasText: 'Pizza night' }).getByTestId('unread-count').filter({ hasText: '1' }).waitFor(WAIT);
  }, 60_000);
});
