import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMediaStorage, type RunningServer, type StartServerOptions } from '../../src/index.js';
import { KEY_ID, KEYS, SECRET } from '../helpers/testKeys.js';
import { useServers } from '../helpers/useServers.js';
import { aConversationOf, download, filesIn, mediaUrl, png, sendWith, textBytes, until, upload } from './mediaHelpers.js';

const { start, connect, cleanups } = useServers();

/** A server on a clock the test moves, with its media in a directory the test can look into. */
async function clockedServer(options: Partial<StartServerOptions> = {}): Promise<{ server: RunningServer; dir: string; advance(ms: number): void }> {
  let now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'rxc-media-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await start({ clock: () => now, ...options, media: { storage: new FileMediaStorage(dir), ...options.media } });
  return { server, dir, advance: (ms) => (now += ms) };
}

async function twoUsers(server: RunningServer) {
  const alice = await connect(server, 'alice');
  const bob = await connect(server, 'bob');
  return { alice, bob, sid: await aConversationOf(alice, bob) };
}

describe('signed downloads (MEDIA-2)', () => {
  it('MEDIA-2: a URL works until it expires (default 300 s), then media_signature_expired; a new one works again', async () => {
    const { server, advance } = await clockedServer();
    const { sid } = await twoUsers(server);
    const uploaded = await upload(server, 'alice', sid, textBytes(10), { contentType: 'text/plain' });
    const urls = await mediaUrl(server, 'bob', uploaded.body.sid);
    expect(urls.body.expiresAt - Date.now()).toBeGreaterThanOrEqual(299_000);
    expect(urls.body.expiresAt - Date.now()).toBeLessThanOrEqual(301_000);
    expect((await download(urls.body.url)).status).toBe(200);

    advance(299_000);
    expect((await download(urls.body.url)).status).toBe(200);
    advance(2_000);
    const expired = await download(urls.body.url);
    expect([expired.status, expired.code]).toEqual([403, 'media_signature_expired']);
    expect(JSON.parse(expired.bytes.toString())).toMatchObject({ code: 'media_signature_expired' });

    const renewed = await mediaUrl(server, 'bob', uploaded.body.sid);
    expect((await download(renewed.body.url)).bytes.toString()).toBe('x'.repeat(10));
  });

  it('MEDIA-2: a forged, altered or unsigned URL is media_signature_invalid, even with a later expiry', async () => {
    const { server } = await clockedServer();
    const { sid } = await twoUsers(server);
    const first = await upload(server, 'alice', sid, textBytes(10), { contentType: 'text/plain' });
    const second = await upload(server, 'alice', sid, textBytes(20), { contentType: 'text/plain' });
    const { url } = (await mediaUrl(server, 'alice', first.body.sid)).body;
    const parsed = new URL(url);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(parsed.searchParams.get('expires')) + 3600));
    const otherMedia = url.replace(first.body.sid, second.body.sid);
    const tampered = url.slice(0, -2) + (url.endsWith('AA') ? 'BB' : 'AA');
    const unsigned = `${server.httpUrl}/v1/media/${first.body.sid}/content`;
    const asPreview = url.replace('/content?', '/preview?');
    for (const forged of [later.href, otherMedia, tampered, unsigned, asPreview]) {
      const answer = await download(forged);
      expect([forged, answer.status, answer.code]).toEqual([forged, 403, 'media_signature_invalid']);
    }
  });

  it('MEDIA-2: a URL signed by another server (other keys) is refused; two nodes with the same keys accept each other\'s URLs', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'rxc-media-test-'));
    cleanups.push(() => rmSync(shared, { recursive: true, force: true }));
    const a = await start({ media: { storage: new FileMediaStorage(shared) } });
    const { sid } = await twoUsers(a);
    const uploaded = await upload(a, 'alice', sid, textBytes(10), { contentType: 'text/plain' });
    const { url } = (await mediaUrl(a, 'alice', uploaded.body.sid)).body;
    // A second server on the same storage and database would serve it; one with other keys must not.
    const other = await start({ keys: { SKother000000000000000000000000000: 'another-secret-that-is-at-least-32-bytes' } });
    const answer = await download(url.replace(a.httpUrl, other.httpUrl));
    expect([answer.status, answer.code]).toEqual([403, 'media_signature_invalid']);
    const same = await start({ keys: KEYS });
    // Same keys, so the signature verifies; this node's own database has no such media.
    const elsewhere = await download(url.replace(a.httpUrl, same.httpUrl));
    expect([elsewhere.status, elsewhere.code]).toEqual([404, 'media_not_found']);
  });

  it('MEDIA-2: range requests give 206 with Content-Range (seeking), open and suffix ranges too; outside the file is 416', async () => {
    const { server } = await clockedServer();
    const { sid } = await twoUsers(server);
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const uploaded = await upload(server, 'alice', sid, bytes, { contentType: 'application/octet-stream', filename: 'data.bin' });
    expect(uploaded.status).toBe(201);
    const { url } = (await mediaUrl(server, 'bob', uploaded.body.sid)).body;

    const middle = await download(url, { range: 'bytes=100-199' });
    expect(middle.status).toBe(206);
    expect(middle.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(middle.bytes.equals(bytes.subarray(100, 200))).toBe(true);
    const open = await download(url, { range: 'bytes=990-' });
    expect([open.status, open.headers.get('content-range'), open.bytes.length]).toEqual([206, 'bytes 990-999/1000', 10]);
    const suffix = await download(url, { range: 'bytes=-5' });
    expect(suffix.bytes.equals(bytes.subarray(995))).toBe(true);
    const past = await download(url, { range: 'bytes=1000-1010' });
    expect([past.status, past.code, past.headers.get('content-range')]).toEqual([416, 'media_range_not_satisfiable', 'bytes */1000']);
    const whole = await download(url);
    expect([whole.status, whole.headers.get('accept-ranges'), whole.headers.get('content-length')]).toEqual([200, 'bytes', '1000']);
    expect(whole.headers.get('content-disposition')).toContain('attachment');
  });
});

describe('media lifetime (MEDIA-4)', () => {
  it('MEDIA-4: an upload never attached is deleted after the grace time; an attached one stays', async () => {
    const { server, dir, advance } = await clockedServer({ media: { graceMs: 60_000, sweepIntervalMs: 20 } });
    const { alice, sid } = await twoUsers(server);
    const kept = await upload(server, 'alice', sid, await png(8, 8));
    const dropped = await upload(server, 'alice', sid, await png(8, 8));
    await sendWith(alice, sid, [kept.body.sid]);
    const keptUrl = (await mediaUrl(server, 'alice', kept.body.sid)).body.url;

    advance(59_000);
    expect(filesIn(dir)).toHaveLength(4); // both, each with its preview
    advance(2_000);
    await until(() => filesIn(dir).length === 2, 5000, 'the unattached upload to be swept');
    expect(filesIn(dir).sort()).toEqual([kept.body.sid, `${kept.body.sid}.preview`]);
    expect((await mediaUrl(server, 'alice', dropped.body.sid)).code).toBe('media_not_found');
    expect(await alice.requestError('messages.send', { sid, mediaSids: [dropped.body.sid], idempotencyKey: 'attach-late' })).toMatchObject({ code: 'media_not_found' });
    expect((await download(keptUrl)).status).toBe(200);
  });

  it('MEDIA-4: an upload past its grace time cannot be attached even before the sweep runs', async () => {
    const { server, advance } = await clockedServer({ media: { graceMs: 60_000 } });
    const { alice, sid } = await twoUsers(server);
    const late = await upload(server, 'alice', sid, await png(8, 8));
    advance(60_000);
    expect(await alice.requestError('messages.send', { sid, mediaSids: [late.body.sid], idempotencyKey: 'attach-late' })).toMatchObject({ code: 'media_not_found' });
  });

  it('MEDIA-4: removing a message removes its media: bytes deleted, URLs dead, the quota freed; messageRemoved carries no media', async () => {
    const { server, dir } = await clockedServer({ media: { quotaBytes: 2000 } });
    const { alice, bob, sid } = await twoUsers(server);
    const uploaded = await upload(server, 'alice', sid, textBytes(1500), { contentType: 'text/plain' });
    const sent = await sendWith(alice, sid, [uploaded.body.sid], 'file');
    const { url } = (await mediaUrl(server, 'bob', uploaded.body.sid)).body;
    expect((await upload(server, 'alice', sid, textBytes(1000), { contentType: 'text/plain' })).code).toBe('media_quota_exceeded');

    await alice.request('messages.remove', { sid, index: sent.index });
    await bob.waitForEvent('messageRemoved', (e) => e.data.sid === sent.sid);
    await until(() => filesIn(dir).length === 0, 5000, 'the removed message\'s media to be deleted');
    const gone = await download(url);
    expect([gone.status, gone.code]).toEqual([404, 'media_not_found']);
    expect((await mediaUrl(server, 'bob', uploaded.body.sid)).code).toBe('media_not_found');
    expect((await upload(server, 'alice', sid, textBytes(1000), { contentType: 'text/plain' })).status).toBe(201);
  });

  it('MEDIA-4, ADMIN-2: removing a message through the admin REST API deletes its media too', async () => {
    const { server, dir } = await clockedServer();
    const { alice, bob, sid } = await twoUsers(server);
    const uploaded = await upload(server, 'alice', sid, await png(8, 8));
    const sent = await sendWith(alice, sid, [uploaded.body.sid]);
    expect(filesIn(dir)).toHaveLength(2);
    const basic = `Basic ${Buffer.from(`${KEY_ID}:${SECRET}`).toString('base64')}`;
    const res = await fetch(`${server.httpUrl}/v1/Conversations/${sid}/Messages/${sent.sid}`, { method: 'DELETE', headers: { authorization: basic } });
    expect(res.status).toBe(204);
    await bob.waitForEvent('messageRemoved', (e) => e.data.sid === sent.sid);
    await until(() => filesIn(dir).length === 0, 5000, 'the media of the message removed through REST to be deleted');
    expect((await mediaUrl(server, 'bob', uploaded.body.sid)).code).toBe('media_not_found');
  });

  it('MEDIA-4: deleting a conversation deletes the media of its messages and its pending uploads', async () => {
    const { server, dir } = await clockedServer();
    const { alice, sid } = await twoUsers(server);
    const attached = await upload(server, 'alice', sid, await png(8, 8));
    await sendWith(alice, sid, [attached.body.sid]);
    await upload(server, 'alice', sid, textBytes(100), { contentType: 'text/plain' });
    expect(filesIn(dir)).toHaveLength(3);
    await alice.request('conversations.delete', { sid });
    await until(() => filesIn(dir).length === 0, 5000, 'the deleted conversation\'s media to be deleted');
  });
});
