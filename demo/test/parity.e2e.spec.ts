import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { WAIT, createWith, send, signIn, twoPages, type TwoPages } from './browserPages.js';

/**
 * What every chat UI has, in the demo, proved in headless Chromium against the real server (PARITY-3):
 * reactions (counts, and which are mine), replies quoting their message, read receipts, timestamps,
 * each message's status, and unread badges in the list.
 */

let pages: TwoPages;
let alice: Page;
let bob: Page;

/** The page's message whose body is `body`, once sent. */
const sentMessage = (page: Page, body: string) =>
  page.locator('[data-testid="message"][data-status="sent"]').filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });

beforeAll(async () => {
  pages = await twoPages('parity');
  ({ alice, bob } = pages);
}, 30_000);

afterAll(async () => {
  await pages?.close();
});

describe('the demo shows reactions, replies, receipts, times, statuses and unread badges (PARITY-3)', () => {
  it('PARITY-3: two pages react, reply and read; each sees counts, its own reactions, quotes, receipts and unread badges', async () => {
    await signIn(alice, pages.demo.url, 'alice');
    await signIn(bob, pages.demo.url, 'bob');
    await createWith(alice, 'Pizza night', 'bob');

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
