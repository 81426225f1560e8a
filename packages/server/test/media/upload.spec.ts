import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FileMediaStorage, type RunningServer, type StartServerOptions } from '../../src/index.js';
import { tempDatabase } from '../helpers/tempDatabase.js';
import { KEY_ID, SECRET } from '../helpers/testKeys.js';
import { useServers } from '../helpers/useServers.js';
import {
  aConversationOf,
  download,
  filesIn,
  mediaUrl,
  png,
  rawRequest,
  sendWith,
  textBytes,
  until,
  upload,
  uploadHead,
} from './mediaHelpers.js';

const { start, connect, cleanups } = useServers();

/** A server whose media live in a fresh directory the test can look into. */
async function serverWithDirectory(media: StartServerOptions['media'] = {}): Promise<{ server: RunningServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rxc-media-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await start({ media: { storage: new FileMediaStorage(dir), ...media } });
  return { server, dir };
}

async function twoUsers(server: RunningServer) {
  const alice = await connect(server, 'alice');
  const bob = await connect(server, 'bob');
  const sid = await aConversationOf(alice, bob);
  return { alice, bob, sid };
}

describe('uploads (MEDIA-3) and attaching them (MEDIA-1, MEDIA-2)', () => {
  it('MEDIA-3: an image is uploaded over HTTP, attached in messages.send, and the other participant downloads the same bytes and a small preview', async () => {
    const { server, dir } = await serverWithDirectory();
    const { alice, bob, sid } = await twoUsers(server);
    const image = await png(1200, 800);

    const uploaded = await upload(server, 'alice', sid, image, { contentType: 'image/png', filename: 'holiday photo.png' });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ contentType: 'image/png', filename: 'holiday photo.png', size: image.length, conversationSid: sid });
    expect(uploaded.body.sid).toMatch(/^ME[0-9a-f]{32}$/);
    expect(uploaded.body.preview).toMatchObject({ contentType: 'image/webp', width: 320, height: 213 });
    expect(filesIn(dir).sort()).toEqual([uploaded.body.sid, `${uploaded.body.sid}.preview`]);

    const sent = await sendWith(alice, sid, [uploaded.body.sid], 'look');
    const expected = { sid: uploaded.body.sid, contentType: 'image/png', filename: 'holiday photo.png', size: image.length, preview: uploaded.body.preview };
    expect(sent.media).toEqual([expected]);
    const added = await bob.waitForEvent('messageAdded', (e) => e.data.message.sid === sent.sid);
    expect(added.data.message.media).toEqual([expected]);
    const page = await bob.request('messages.list', { sid });
    expect(page.items.map((m) => m.media)).toEqual([[expected]]);

    const urls = await mediaUrl(server, 'bob', uploaded.body.sid);
    expect(urls.status).toBe(200);
    expect(urls.body.url).toMatch(new RegExp(`^${server.httpUrl}/v1/media/${uploaded.body.sid}/content\\?expires=\\d+&signature=`));
    expect(urls.body.url).not.toContain('eyJ'); // no token in the URL
    const got = await download(urls.body.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(image)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toBe(`inline; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`);

    const preview = await download(urls.body.previewUrl!);
    expect(preview.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(preview.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 213]);
  });

  it('MEDIA-1: several attachments keep their order; a non-image has no preview and downloads as an attachment', async () => {
    const { server } = await serverWithDirectory();
    const { alice, bob, sid } = await twoUsers(server);
    const notes = await upload(server, 'alice', sid, textBytes(1000), { contentType: 'text/plain', filename: 'notes.txt' });
    const photo = await upload(server, 'alice', sid, await png(40, 30), { filename: 'small.png' });
    expect([notes.status, photo.status]).toEqual([201, 201]);
    expect(notes.body.preview).toBeUndefined();
    expect(photo.body.preview).toMatchObject({ width: 40, height: 30 }); // never enlarged

    const sent = await sendWith(alice, sid, [photo.body.sid, notes.body.sid]);
    expect(sent.body).toBeNull();
    expect(sent.media?.map((m) => m.filename)).toEqual(['small.png', 'notes.txt']);
    const urls = await mediaUrl(server, 'bob', notes.body.sid);
    expect(urls.body.previewUrl).toBeUndefined();
    const got = await download(urls.body.url);
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`);
    expect(got.bytes.toString()).toBe('x'.repeat(1000));
    await bob.waitForEvent('messageAdded', (e) => e.data.message.sid === sent.sid);
  });

  it('MEDIA-3: the token goes in Authorization only; a missing or bad one is 401 with the token code', async () => {
    const { server } = await serverWithDirectory();
    const { sid } = await twoUsers(server);
    const none = await upload(server, null, sid, await png(4, 4));
    expect([none.status, none.code, none.body.code]).toEqual([401, 'token_not_a_string', 'token_not_a_string']);
    const forged = await upload(server, null, sid, await png(4, 4), { token: 'not.a.jwt' });
    expect([forged.status, forged.code]).toEqual([401, 'token_malformed']);
  });

  it('MEDIA-3: only participants upload to a conversation; an unknown conversation is 404', async () => {
    const { server } = await serverWithDirectory();
    const { sid } = await twoUsers(server);
    await connect(server, 'mallory');
    const outsider = await upload(server, 'mallory', sid, await png(4, 4));
    expect([outsider.status, outsider.code]).toEqual([403, 'not_a_participant']);
    const unknown = await upload(server, 'alice', 'CHnothing', await png(4, 4));
    expect([unknown.status, unknown.code]).toEqual([404, 'conversation_not_found']);
    const missing = await upload(server, 'alice', '', await png(4, 4));
    expect([missing.status, missing.code]).toEqual([400, 'invalid_argument']);
  });

  it('MEDIA-3: a PNG that is really HTML, and a "text" file that is a PNG, are media_type_mismatch and leave nothing stored', async () => {
    const { server, dir } = await serverWithDirectory();
    const { sid } = await twoUsers(server);
    const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
    const fake = await upload(server, 'alice', sid, html, { contentType: 'image/png', filename: 'cat.png' });
    expect([fake.status, fake.code]).toEqual([415, 'media_type_mismatch']);
    const disguised = await upload(server, 'alice', sid, await png(10, 10), { contentType: 'text/plain' });
    expect([disguised.status, disguised.code]).toEqual([415, 'media_type_mismatch']);
    // A JPEG declared as image/jpg is the same type by another name.
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'white' } }).jpeg().toBuffer();
    expect((await upload(server, 'alice', sid, jpeg, { contentType: 'image/jpg' })).status).toBe(201);
    expect(filesIn(dir).filter((f) => !f.startsWith('ME'))).toEqual([]);
    expect(filesIn(dir)).toHaveLength(2); // the JPEG and its preview only
  });

  it('MEDIA-3: types outside media.allowedTypes are media_type_not_allowed', async () => {
    const { server } = await serverWithDirectory({ allowedTypes: ['image/*'] });
    const { sid } = await twoUsers(server);
    const pdf = await upload(server, 'alice', sid, Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'), { contentType: 'application/pdf' });
    expect([pdf.status, pdf.code]).toEqual([415, 'media_type_not_allowed']);
    expect((await upload(server, 'alice', sid, await png(4, 4))).status).toBe(201);
  });

  it('MEDIA-3: a body over media.maxBytes is refused from its Content-Length alone, before it is read', async () => {
    const { server, dir } = await serverWithDirectory({ maxBytes: 1000 });
    const { sid } = await twoUsers(server);
    // Only the head is sent: the answer comes without a single byte of the body.
    const { answer } = await rawRequest(server, await uploadHead('alice', sid, { 'content-type': 'text/plain', 'content-length': 5_000_000 }));
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('x-rxc-error: media_too_large');
    expect(filesIn(dir)).toEqual([]);
    expect((await upload(server, 'alice', sid, textBytes(1000), { contentType: 'text/plain' })).status).toBe(201);
  });

  it('MEDIA-3: an upload without Content-Length (chunked) or with a zero one is media_length_required', async () => {
    const { server } = await serverWithDirectory();
    const { sid } = await twoUsers(server);
    const chunked = await rawRequest(server, await uploadHead('alice', sid, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }), Buffer.from('5\r\nhello\r\n0\r\n\r\n'));
    const text = await chunked.answer;
    expect(text).toMatch(/^HTTP\/1\.1 411 /);
    expect(text).toContain('x-rxc-error: media_length_required');
    const empty = await upload(server, 'alice', sid, Buffer.alloc(0), { contentType: 'text/plain' });
    expect([empty.status, empty.code]).toEqual([411, 'media_length_required']);
  });

  it('MEDIA-3: a body that stalls short of its Content-Length is media_upload_incomplete, and its partial file disappears', async () => {
    const { server, dir } = await serverWithDirectory({ idleTimeoutMs: 300 });
    const { sid } = await twoUsers(server);
    const { answer } = await rawRequest(server, await uploadHead('alice', sid, { 'content-type': 'text/plain', 'content-length': 100_000 }), textBytes(50_000));
    // The half written so far exists only under the incoming directory, never under a media sid.
    await until(() => filesIn(dir).some((f) => f.startsWith('.incoming/')), 5000, 'the partial upload to be written');
    expect(filesIn(dir).filter((f) => !f.startsWith('.incoming/'))).toEqual([]);
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('x-rxc-error: media_upload_incomplete');
    expect(filesIn(dir)).toEqual([]);
  });

  it('MEDIA-3: a connection cut in the middle of a body leaves nothing, neither a file nor a quota charge', async () => {
    const { server, dir } = await serverWithDirectory({ quotaBytes: 150_000 });
    const { sid } = await twoUsers(server);
    const { socket } = await rawRequest(server, await uploadHead('alice', sid, { 'content-type': 'text/plain', 'content-length': 100_000 }), textBytes(60_000));
    await until(() => filesIn(dir).some((f) => f.startsWith('.incoming/')), 5000, 'the partial upload to be written');
    socket.destroy();
    await until(() => filesIn(dir).length === 0, 5000, 'the partial upload to be deleted');
    // Its reservation was released: the whole quota is there again.
    expect((await upload(server, 'alice', sid, textBytes(150_000), { contentType: 'text/plain' })).status).toBe(201);
  });

  it('MEDIA-4: the per-user quota counts stored uploads, and concurrent uploads beyond it are refused at once', async () => {
    const { server } = await serverWithDirectory({ quotaBytes: 1000 });
    const { sid } = await twoUsers(server);
    // One upload in flight (head and part of the body sent), reserving 600 bytes.
    const first = await rawRequest(server, await uploadHead('alice', sid, { 'content-type': 'text/plain', 'content-length': 600 }), textBytes(100));
    const second = await upload(server, 'alice', sid, textBytes(600), { contentType: 'text/plain' });
    expect([second.status, second.code]).toEqual([413, 'media_quota_exceeded']);
    // Bob's quota is his own.
    expect((await upload(server, 'bob', sid, textBytes(600), { contentType: 'text/plain' })).status).toBe(201);
    first.socket.write(textBytes(500));
    expect(await first.answer.then((t) => t.split('\r\n')[0])).toBe('HTTP/1.1 201 Created');
    const third = await upload(server, 'alice', sid, textBytes(401), { contentType: 'text/plain' });
    expect([third.status, third.code]).toEqual([413, 'media_quota_exceeded']);
    expect((await upload(server, 'alice', sid, textBytes(400), { contentType: 'text/plain' })).status).toBe(201);
  });
});

describe('attaching media to a message (MEDIA-1)', () => {
  it('MEDIA-1: unknown media, media of another user, of another conversation, or already attached each get their code, and the message is not sent', async () => {
    const { server } = await serverWithDirectory();
    const { alice, bob, sid } = await twoUsers(server);
    const other = await alice.request('conversations.create', {});
    const mine = await upload(server, 'alice', sid, await png(4, 4));
    const bobs = await upload(server, 'bob', sid, await png(4, 4));
    const elsewhere = await upload(server, 'alice', other.sid, await png(4, 4));

    expect(await alice.requestError('messages.send', { sid, mediaSids: ['MEnothing'], idempotencyKey: 'attach-unknown' })).toMatchObject({
      code: 'media_not_found',
      details: { path: 'args.mediaSids.0' },
    });
    expect(await alice.requestError('messages.send', { sid, mediaSids: [mine.body.sid, bobs.body.sid], idempotencyKey: 'attach-bobs' })).toMatchObject({
      code: 'media_not_owned',
      details: { path: 'args.mediaSids.1' },
    });
    expect(await alice.requestError('messages.send', { sid, mediaSids: [elsewhere.body.sid], idempotencyKey: 'attach-other' })).toMatchObject({
      code: 'media_conversation_mismatch',
    });
    expect((await alice.request('conversations.counts', { sid })).messagesCount).toBe(0);

    // The refused sends attached nothing: the media is still free to attach, once.
    const sent = await sendWith(alice, sid, [mine.body.sid]);
    expect(sent.media?.map((m) => m.sid)).toEqual([mine.body.sid]);
    expect(await alice.requestError('messages.send', { sid, mediaSids: [mine.body.sid], idempotencyKey: 'attach-again' })).toMatchObject({
      code: 'media_already_attached',
    });
    expect(await alice.requestError('messages.send', { sid, mediaSids: [mine.body.sid, mine.body.sid], idempotencyKey: 'attach-twice' })).toMatchObject({
      code: 'invalid_argument',
    });
    // Repeating the successful send with its key returns the same message, media included.
    expect(await bob.request('conversations.counts', { sid })).toMatchObject({ messagesCount: 1 });
  });

  it('MEDIA-2, ADMIN-2: the admin REST API shows a message\'s media in Twilio\'s shape', async () => {
    const { server } = await serverWithDirectory();
    const { alice, sid } = await twoUsers(server);
    const uploaded = await upload(server, 'alice', sid, await png(4, 4), { filename: 'dot.png' });
    const sent = await sendWith(alice, sid, [uploaded.body.sid]);
    const plain = await alice.request('messages.send', { sid, body: 'no media', idempotencyKey: 'plain-message' });
    const basic = `Basic ${Buffer.from(`${KEY_ID}:${SECRET}`).toString('base64')}`;
    const read = async (messageSid: string) =>
      (await (await fetch(`${server.httpUrl}/v1/Conversations/${sid}/Messages/${messageSid}`, { headers: { authorization: basic } })).json()) as { media: unknown };
    expect((await read(sent.sid)).media).toEqual([{ sid: uploaded.body.sid, size: uploaded.body.size, content_type: 'image/png', filename: 'dot.png', category: 'media' }]);
    expect((await read(plain.sid)).media).toBeNull();
  });

  it('MEDIA-2: only participants get download URLs', async () => {
    const { server } = await serverWithDirectory();
    const { sid } = await twoUsers(server);
    await connect(server, 'mallory');
    const uploaded = await upload(server, 'alice', sid, await png(4, 4));
    const refused = await mediaUrl(server, 'mallory', uploaded.body.sid);
    expect([refused.status, refused.code]).toEqual([403, 'not_a_participant']);
    const unknown = await mediaUrl(server, 'alice', 'MEnothing');
    expect([unknown.status, unknown.code]).toEqual([404, 'media_not_found']);
  });
});

describe('default storage (MEDIA-3)', () => {
  it('MEDIA-3: without a storage option, media live in a directory beside the SQLite file and survive a restart', async () => {
    const db = tempDatabase();
    cleanups.push(() => db.cleanup());
    const first = await start({ database: db.path });
    const { alice, sid } = await twoUsers(first);
    const uploaded = await upload(first, 'alice', sid, await png(16, 16));
    await sendWith(alice, sid, [uploaded.body.sid]);
    expect(filesIn(join(db.dir, 'nested', 'test.media')).sort()).toEqual([uploaded.body.sid, `${uploaded.body.sid}.preview`]);
    await first.close();

    const second = await start({ database: db.path });
    const { url } = (await mediaUrl(second, 'bob', uploaded.body.sid)).body;
    const got = await download(url);
    expect([got.status, got.headers.get('content-type')]).toEqual([200, 'image/png']);
  });
});

describe('media download keys with public token keys only (MEDIA-2)', () => {
  it('MEDIA-2: one process signs download URLs with a key of its own; several nodes are refused without media.signingKey', async () => {
    const { exportJWK, generateKeyPair } = await import('jose');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const keys = { jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'issuer-1', alg: 'ES256', use: 'sig' }] } };
    const single = await start({ keys, database: ':memory:' });
    expect((await fetch(`${single.httpUrl}/healthz`)).status).toBe(200);
    await expect(start({ keys, database: 'postgres://postgres@127.0.0.1:5432/test' })).rejects.toThrow(/media\.signingKey/);
  });
});
