import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { filter, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import type { ConversationsClient, FailedMessage, LocalMedia, MediaProgress, MessageView, SentMessage } from '../../src/index.js';
import { ConversationsError } from '../../src/index.js';
import { httpMediaTransport, type MediaTransport, type MediaUploadRequest } from '../../src/media.js';
import { waitUntil, within } from '../store/storeServer.js';
import { download, PNG_1X1, startMediaServer, textBytes, type MediaServer } from './mediaServer.js';

let h: MediaServer;
let alice: ConversationsClient;
let bob: ConversationsClient;

beforeAll(async () => {
  h = await startMediaServer();
  [alice, bob] = await Promise.all([h.client('alice'), h.client('bob')]);
});
afterAll(async () => {
  await h.close();
});

/** A conversation of alice and bob, with both watching its messages. */
async function conversationOfAliceAndBob() {
  const mine = await alice.createConversation();
  await mine.add('bob');
  const theirs = await bob.getConversationBySid(mine.sid);
  // Watched for the rest of the file; the clients' shutdown completes them.
  mine.messages$.subscribe();
  theirs.messages$.subscribe();
  return { mine, theirs };
}

/** A transport around the real one that lets a test see, hold or break uploads. */
function tappedTransport(around: (request: MediaUploadRequest, upload: () => Promise<import('../../src/media.js').MediaHttpAnswer>) => Promise<import('../../src/media.js').MediaHttpAnswer>): MediaTransport & { uploads: string[] } {
  const uploads: string[] = [];
  return {
    uploads,
    upload(request) {
      uploads.push(new URL(request.url).searchParams.get('filename') ?? '');
      return around(request, () => httpMediaTransport.upload(request));
    },
    get: (request) => httpMediaTransport.get(request),
  };
}

const local = (m: MessageView | undefined): readonly LocalMedia[] => (m?.status === 'sent' ? [] : (m?.media ?? []));

describe('MEDIA-1: sending messages with attachments (real server, real HTTP)', () => {
  it('MEDIA-1: several attachments show at once with progress$ reaching their size, then reach the others with media', async () => {
    const { mine, theirs } = await conversationOfAliceAndBob();
    const text = textBytes(300_000);
    const sending = mine.sendMessage({
      body: 'two files',
      media: [
        { contentType: 'image/png', filename: 'dot.png', data: PNG_1X1 },
        { contentType: 'text/plain', filename: 'notes.txt', data: text },
      ],
    });
    const optimistic = (await firstValueFrom(mine.messages$)).at(-1)!;
    expect(optimistic.status).toBe('sending');
    expect(local(optimistic).map((m) => [m.contentType, m.filename, m.size])).toEqual([
      ['image/png', 'dot.png', PNG_1X1.length],
      ['text/plain', 'notes.txt', text.length],
    ]);
    const progress = local(optimistic).map((m) => lastValueFrom(m.progress$.pipe(toArray())));
    const sent = await within(sending, 'the send');

    const [dotProgress, notesProgress] = (await within(Promise.all(progress), 'progress$ to complete')) as MediaProgress[][];
    expect(dotProgress!.at(-1)).toEqual({ sent: PNG_1X1.length, total: PNG_1X1.length });
    expect(notesProgress!.at(-1)).toEqual({ sent: text.length, total: text.length });
    // In between, it only grows (64 KB at a time with Node's fetch), and never claims the end before the server stored it.
    const steps = notesProgress!.map((p) => p.sent);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.filter((s) => s > 0 && s < text.length).length).toBeGreaterThan(1);

    expect(sent.media!.map((m) => [m.contentType, m.filename, m.size, m.preview?.contentType ?? null])).toEqual([
      ['image/png', 'dot.png', PNG_1X1.length, 'image/webp'],
      ['text/plain', 'notes.txt', text.length, null],
    ]);
    const seen = await waitUntil(theirs.messages$, (list) => list.some((m) => m.sid === sent.sid), "bob's copy");
    const bobsCopy = seen.find((m) => m.sid === sent.sid) as SentMessage;
    expect(bobsCopy.media).toEqual(sent.media);
    expect(bobsCopy.body).toBe('two files');

    const url = await theirs.getTemporaryContentUrl(bobsCopy.media![1]!.sid);
    const file = await download(url);
    expect(file.status).toBe(200);
    expect(Buffer.from(file.bytes).equals(Buffer.from(text))).toBe(true);
  });

  it('MEDIA-1: the message is sent only once every upload is stored', async () => {
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const heldStarted = new Promise<void>((resolve) => (started = resolve));
    const transport = tappedTransport(async (request, upload) => {
      if (request.contentType === 'text/csv') {
        started();
        await gate;
      }
      return upload();
    });
    const held = await h.client('alice', { transport });
    const mine = await held.createConversation();
    mine.messages$.subscribe();
    const sending = mine.sendMessage({ media: [{ contentType: 'text/plain', filename: 'a.txt', data: textBytes(10) }, { contentType: 'text/csv', filename: 'b.csv', data: textBytes(10, 'a,b\n') }] });
    await within(heldStarted, 'the second upload to start');
    // The first file is stored, the second held: nothing reached the conversation.
    expect((await held.peekConversationBySid(mine.sid)).lastMessageIndex).toBeNull();
    expect((await firstValueFrom(mine.messages$)).map((m) => m.status)).toEqual(['sending']);
    release();
    const sent = await within(sending, 'the send after the release');
    expect(sent.media!.map((m) => m.filename)).toEqual(['a.txt', 'b.csv']);
    expect((await held.peekConversationBySid(mine.sid)).lastMessageIndex).toBe(sent.index);
  });

  it('MEDIA-1: an AbortSignal cancels the upload: the message fails with media_upload_aborted, and retry() sends it', async () => {
    const { mine, theirs } = await conversationOfAliceAndBob();
    const controller = new AbortController();
    const big = textBytes(4_000_000);
    const sending = mine.sendMessage({ body: 'big', media: [{ contentType: 'text/plain', filename: 'big.txt', data: big }], signal: controller.signal });
    const [file] = local((await firstValueFrom(mine.messages$)).at(-1));
    await firstValueFrom(file!.progress$.pipe(filter((p) => p.sent > 0)));
    controller.abort();

    const error = await sending.then(() => null, (e: unknown) => e as ConversationsError);
    expect(error).toBeInstanceOf(ConversationsError);
    expect(error!.code).toBe('message_send_failed');
    expect((error!.cause as ConversationsError).code).toBe('media_upload_aborted');
    const failed = (await waitUntil(mine.messages$, (l) => l.at(-1)?.status === 'failed', 'the failed message')).at(-1) as FailedMessage;
    expect((failed.error.cause as ConversationsError).code).toBe('media_upload_aborted');
    expect((await alice.peekConversationBySid(mine.sid)).lastMessageIndex).toBeNull();

    const sent = await within(failed.retry(), 'the retry', 15_000);
    expect(sent.media!.map((m) => [m.filename, m.size])).toEqual([['big.txt', big.length]]);
    expect((await firstValueFrom(mine.messages$)).map((m) => m.status)).toEqual(['sent']);
    await waitUntil(theirs.messages$, (l) => l.some((m) => m.sid === sent.sid), "bob's copy");
  });

  it('MEDIA-1: a failed upload makes the message failed; retry() uploads only what was not stored, with the same key', async () => {
    let breakNext = true;
    const transport = tappedTransport(async (request, upload) => {
      if (request.contentType !== 'text/csv' || !breakNext) return upload();
      breakNext = false;
      // The network goes down mid-upload: the server got part of the body, the client no answer.
      const cut = new AbortController();
      const partial = httpMediaTransport.upload({ ...request, signal: cut.signal, onProgress: (n) => (n > 0 ? cut.abort() : undefined) });
      await partial.catch(() => undefined);
      throw new Error('connection reset');
    });
    const flaky = await h.client('alice', { transport });
    const mine = await flaky.createConversation();
    mine.messages$.subscribe();
    const sending = mine.sendMessage({
      body: 'two',
      media: [{ contentType: 'text/plain', filename: 'first.txt', data: textBytes(100) }, { contentType: 'text/csv', filename: 'second.csv', data: textBytes(200_000, 'a,b\n') }],
    });
    const error = await sending.then(() => null, (e: unknown) => e as ConversationsError);
    expect((error!.cause as ConversationsError).code).toBe('media_request_failed');
    const failed = (await firstValueFrom(mine.messages$)).at(-1) as FailedMessage;
    expect(failed.status).toBe('failed');
    expect(transport.uploads).toEqual(['first.txt', 'second.csv']);

    const sent = await within(failed.retry(), 'the retry');
    expect(transport.uploads).toEqual(['first.txt', 'second.csv', 'second.csv']);
    expect(sent.key).toBe(failed.key);
    expect(sent.media!.map((m) => m.filename)).toEqual(['first.txt', 'second.csv']);
    expect((await firstValueFrom(mine.messages$)).map((m) => [m.status, m.key])).toEqual([['sent', failed.key]]);
  });

  it("MEDIA-1: a type that lies gets the server's code: media_type_mismatch", async () => {
    const { mine } = await conversationOfAliceAndBob();
    const error = await mine
      .sendMessage({ media: [{ contentType: 'image/png', filename: 'not-a.png', data: new TextEncoder().encode('<html><script>alert(1)</script></html>') }] })
      .then(() => null, (e: unknown) => e as ConversationsError);
    expect(error!.code).toBe('message_send_failed');
    expect((error!.cause as ConversationsError).code).toBe('media_type_mismatch');
    const failed = (await firstValueFrom(mine.messages$)).at(-1) as FailedMessage;
    expect((failed.error.cause as ConversationsError).code).toBe('media_type_mismatch');
  });

  it('MEDIA-1: Node data kinds: Uint8Array, ArrayBuffer, Blob, web ReadableStream and Node Readable arrive byte for byte', async () => {
    const { mine } = await conversationOfAliceAndBob();
    const bytes = [textBytes(1000, 'u8'), textBytes(2000, 'ab'), textBytes(3000, 'blob'), textBytes(150_000, 'web'), textBytes(70_000, 'node')];
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes[3]!.length; i += 50_000) controller.enqueue(bytes[3]!.subarray(i, i + 50_000));
        controller.close();
      },
    });
    const sent = await within(
      mine.sendMessage({
        media: [
          { contentType: 'text/plain', filename: 'u8.txt', data: bytes[0]! },
          { contentType: 'text/plain', filename: 'ab.txt', data: bytes[1]!.slice().buffer },
          { contentType: 'text/plain', filename: 'blob.txt', data: new Blob([bytes[2]!]) },
          { contentType: 'text/plain', filename: 'web.txt', data: web },
          { contentType: 'text/plain', filename: 'node.txt', data: Readable.from([Buffer.from(bytes[4]!.subarray(0, 30_000)), Buffer.from(bytes[4]!.subarray(30_000))]) },
        ],
      }),
      'the send',
    );
    expect(sent.media!.map((m) => m.size)).toEqual(bytes.map((b) => b.length));
    for (const [i, media] of sent.media!.entries()) {
      const file = await download(await mine.getTemporaryContentUrl(media.sid));
      expect(Buffer.from(file.bytes).equals(Buffer.from(bytes[i]!))).toBe(true);
    }
  });

  it('MEDIA-1: misuse is a TypeError at once, and nothing is queued', async () => {
    const { mine } = await conversationOfAliceAndBob();
    expect(() => mine.sendMessage({ media: [] })).toThrow(TypeError);
    expect(() => mine.sendMessage({ media: [{ contentType: 'png', data: PNG_1X1 }] })).toThrow(/contentType/);
    expect(() => mine.sendMessage({ media: [{ contentType: 'image/png', data: 'bytes' as never }] })).toThrow(/data must be/);
    expect((await firstValueFrom(mine.messages$)).length).toBe(0);
  });
});

describe('MEDIA-2: media of received messages and their temporary URLs (real server)', () => {
  it('MEDIA-2: getTemporaryContentUrl gives participants a signed URL of the bytes; others get not_a_participant', async () => {
    const { mine, theirs } = await conversationOfAliceAndBob();
    const sent = await mine.sendMessage({ media: [{ contentType: 'image/png', filename: 'dot.png', data: PNG_1X1 }] });
    const url = await theirs.getTemporaryContentUrl(sent.media![0]!.sid);
    expect(url).not.toMatch(/token|Bearer/i);
    const file = await download(url);
    expect([file.status, file.type]).toEqual([200, 'image/png']);
    expect(Buffer.from(file.bytes).equals(Buffer.from(PNG_1X1))).toBe(true);
    const [preview] = await firstValueFrom(theirs.temporaryContentUrl$(sent.media![0]!.sid).pipe(take(1), toArray()));
    expect((await download(preview!.previewUrl!)).type).toBe('image/webp');

    const carol = await h.client('carol');
    const error = await carol.conversation(mine.sid).getTemporaryContentUrl(sent.media![0]!.sid).then(() => null, (e: unknown) => e as ConversationsError);
    expect(error!.code).toBe('not_a_participant');
    await expect(mine.getTemporaryContentUrl('MEnothing0000000000000000000000000')).rejects.toMatchObject({ code: 'media_not_found' });
  });
});

describe('MEDIA-2: temporaryContentUrl$ renews the URL before it expires (server URLs live 2 s)', () => {
  let short: MediaServer;
  beforeAll(async () => {
    short = await startMediaServer(2_000);
  });
  afterAll(async () => {
    await short.close();
  });

  it('MEDIA-2: a new URL arrives before the old one expires, and each one downloads', async () => {
    const client = await short.client('alice', { urlRenewLeadMs: 1_500 });
    const mine = await client.createConversation();
    const sent = await mine.sendMessage({ media: [{ contentType: 'text/plain', filename: 'a.txt', data: textBytes(500) }] });
    const urls: { url: string; expiresAt: number; at: number }[] = [];
    const renewed = firstValueFrom(mine.temporaryContentUrl$(sent.media![0]!.sid).pipe(take(2), toArray()));
    const subscription = mine.temporaryContentUrl$(sent.media![0]!.sid).subscribe((u) => urls.push({ ...u, at: Date.now() }));
    const [first, second] = await within(renewed, 'a renewed URL', 6_000);
    subscription.unsubscribe();
    expect(second!.url).not.toBe(first!.url);
    expect(second!.expiresAt).toBeGreaterThan(first!.expiresAt);
    expect(urls[1]?.at ?? Date.now()).toBeLessThan(first!.expiresAt);
    expect((await download(second!.url)).status).toBe(200);
  });
});
