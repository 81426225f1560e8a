import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { WAIT, createWith, signIn, twoPages, type TwoPages } from './browserPages.js';

/**
 * The browser proof of media (MEDIA-1, MEDIA-2, MEDIA-5): in headless Chromium, alice attaches files in
 * the demo app (the browser client uploads them with XHR to the real server), sees their progress, and
 * bob's page shows the image inline from its signed preview URL and the other file as a download link.
 */

let pages: TwoPages;
let alice: Page;
let bob: Page;

beforeAll(async () => {
  pages = await twoPages('media');
  ({ alice, bob } = pages);
}, 30_000);

afterAll(async () => {
  await pages?.close();
});

describe('demo media in headless Chromium', () => {
  it('MEDIA-5, MEDIA-1, MEDIA-2: alice attaches an image and a file; both pages show the image inline and the file as a link', async () => {
    await signIn(alice, pages.demo.url, 'alice');
    await signIn(bob, pages.demo.url, 'bob');
    await createWith(alice, 'Photos', 'bob');
    await bob.getByTestId('conversation-item').filter({ hasText: 'Photos' }).click();
    await bob.getByTestId('conversation-title').filter({ hasText: 'Photos' }).waitFor(WAIT);

    // A real 640×480 photo-sized PNG (the server makes a 320×240 WebP preview of it) and a text file.
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer();
    const notes = Buffer.from('bring sunscreen\n'.repeat(2000));
    // Every value the progress bars take, recorded as it is set (they are gone once the message is sent).
    await alice.evaluate(() => {
      const seen: [number, number][] = [];
      (window as unknown as { progressSeen: [number, number][] }).progressSeen = seen;
      new MutationObserver((records) => {
        for (const r of records) if (r.target instanceof HTMLProgressElement) seen.push([r.target.value, r.target.max]);
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
    });
    await alice.getByTestId('composer').fill('from the beach');
    await alice.getByTestId('attach').setInputFiles([
      { name: 'beach.png', mimeType: 'image/png', buffer: photo },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: notes },
    ]);


    // Bob's page: the image inline, loaded from its signed preview URL, and the file as a link.
    const theirs = bob.getByTestId('message').filter({ hasText: 'from the beach' });
    const image = theirs.getByTestId('media-image');
    await image.waitFor(WAIT);
    await bob.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid="media-image"]');
      return img !== null && img.complete && img.naturalWidth > 0;
    }, undefined, WAIT);
    expect(await image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([320, 240]);
    const link = theirs.getByTestId('media-link');
    await bob.waitForFunction(() => (document.querySelector<HTMLAnchorElement>('[data-testid="media-link"]')?.href ?? '').includes('/v1/media/'), undefined, WAIT);
    expect(await link.textContent()).toBe('notes.txt');
    const href = await link.getAttribute('href');
    expect(href).not.toMatch(/token|Bearer/i);
    const downloaded = await fetch(href!);
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(notes)).toBe(true);

    // Alice's page ends the same way: the message sent, its progress bars replaced by the files.
    await alice.waitForFunction(() => {
      const item = Array.from(document.querySelectorAll('[data-testid="message"]')).find((m) => m.textContent?.includes('from the beach'));
      return item?.getAttribute('data-status') === 'sent' && item.querySelector('[data-testid="media-image"]') !== null;
    }, undefined, WAIT);
    // Her page showed a progress bar per file that filled up to each file's size before it was sent.
    const seen = await alice.evaluate(() => (window as unknown as { progressSeen: [number, number][] }).progressSeen);
    expect(seen.filter(([value, max]) => value === max && max > 0).map(([, max]) => max).sort((a, b) => a - b)).toEqual([photo.length, notes.length].sort((a, b) => a - b));
  }, 30_000);

  it('MEDIA-5: a file dropped on the conversation and an image pasted into the composer are sent too', async () => {
    // Both pages are still in "Photos" from the test above.
    await alice.evaluate(() => {
      const dropped = new DataTransfer();
      dropped.items.add(new File(['dropped text'], 'dropped.txt', { type: 'text/plain' }));
      document.getElementById('conversation')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
    });
    const pasted = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
    await alice.evaluate((bytes) => {
      const clipboard = new DataTransfer();
      clipboard.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
      document.querySelector('[data-testid="composer"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }));
    }, [...pasted]);

    await bob.getByTestId('media-link').filter({ hasText: 'dropped.txt' }).waitFor(WAIT);
    await bob.waitForFunction(
      () => Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid="media-image"]')).some((img) => img.alt === 'image.png' && img.complete && img.naturalWidth === 40),
      undefined,
      WAIT,
    );
  }, 30_000);
});
