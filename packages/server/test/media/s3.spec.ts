import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3MediaStorage, type RunningServer } from '../../src/index.js';
import { useServers } from '../helpers/useServers.js';
import { aConversationOf, download, mediaUrl, png, rawRequest, sendWith, textBytes, until, upload, uploadHead } from './mediaHelpers.js';

const { start, connect } = useServers();
const BUCKET = 'rxc-media-test';

// An S3-compatible server from npm, started here on a free port, storing in a temporary directory.
let s3server: S3rver;
let s3dir: string;
let client: S3Client;

beforeAll(async () => {
  s3dir = mkdtempSync(join(tmpdir(), 'rxc-s3rver-'));
  s3server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir });
  const { port } = (await s3server.run()) as { port: number };
  client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  client.destroy();
  await s3server.close();
  rmSync(s3dir, { recursive: true, force: true });
});

/** The keys in the bucket under the prefix. */
async function objects(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

/** A server storing media in the bucket under a prefix of its own. */
async function s3Server(media: { idleTimeoutMs?: number } = {}): Promise<{ server: RunningServer; prefix: string }> {
  const prefix = `t${randomBytes(4).toString('hex')}/`;
  const server = await start({ media: { storage: new S3MediaStorage({ bucket: BUCKET, prefix, client }), ...media } });
  return { server, prefix };
}

describe('S3-compatible media storage (MEDIA-3)', () => {
  it('MEDIA-3: a 12 MB upload streams to S3 in parts and downloads whole and by range; an image gets its preview beside it', async () => {
    const { server, prefix } = await s3Server();
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    const sid = await aConversationOf(alice, bob);
    const big = randomBytes(12 * 1024 * 1024);
    const video = await upload(server, 'alice', sid, big, { contentType: 'application/octet-stream', filename: 'big.bin' });
    expect(video.status).toBe(201);
    const image = await upload(server, 'alice', sid, await png(640, 640), { filename: 'square.png' });
    expect(image.body.preview).toMatchObject({ contentType: 'image/webp', width: 320, height: 320 });
    expect(await objects(prefix)).toEqual([image.body.sid, `${image.body.sid}.preview`, video.body.sid].sort());

    await sendWith(alice, sid, [video.body.sid, image.body.sid]);
    const { url } = (await mediaUrl(server, 'bob', video.body.sid)).body;
    const whole = await download(url);
    expect(whole.status).toBe(200);
    expect(whole.bytes.equals(big)).toBe(true);
    const part = await download(url, { range: 'bytes=6000000-6000099' });
    expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 6000000-6000099/${big.length}`]);
    expect(part.bytes.equals(big.subarray(6_000_000, 6_000_100))).toBe(true);
    const preview = await download((await mediaUrl(server, 'bob', image.body.sid)).body.previewUrl!);
    expect([preview.status, preview.headers.get('content-type')]).toEqual([200, 'image/webp']);
  });

  it('MEDIA-3: an upload that stalls after 6 MB of 8 MB (a multipart upload begun) is refused and leaves no object', async () => {
    const { server, prefix } = await s3Server({ idleTimeoutMs: 500 });
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    const sid = await aConversationOf(alice, bob);
    const { answer } = await rawRequest(
      server,
      await uploadHead('alice', sid, { 'content-type': 'application/octet-stream', 'content-length': 8 * 1024 * 1024 }),
      randomBytes(6 * 1024 * 1024),
    );
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('x-rxc-error: media_upload_incomplete');
    expect(await objects(prefix)).toEqual([]);
    // A type that lies is refused before anything reaches the bucket.
    const fake = await upload(server, 'alice', sid, Buffer.from('<html><body>hi</body></html>'), { contentType: 'image/png' });
    expect(fake.code).toBe('media_type_mismatch');
    expect(await objects(prefix)).toEqual([]);
  });

  it('MEDIA-4: removing a message deletes its objects from the bucket', async () => {
    const { server, prefix } = await s3Server();
    const alice = await connect(server, 'alice');
    const bob = await connect(server, 'bob');
    const sid = await aConversationOf(alice, bob);
    const uploaded = await upload(server, 'alice', sid, textBytes(2048), { contentType: 'text/plain' });
    const sent = await sendWith(alice, sid, [uploaded.body.sid]);
    expect(await objects(prefix)).toEqual([uploaded.body.sid]);
    await alice.request('messages.remove', { sid, index: sent.index });
    await until(async () => (await objects(prefix)).length === 0, 5000, 'the objects to be deleted');
  });
});
