import { describe, expect, it } from '@jest/globals';
import { AsyncSubject, firstValueFrom } from 'rxjs';
import { createVirtualClock } from '@rx-conversations/testing';
import { FakeCore } from '../../test/FakeCore.js';
import { ConversationsClient } from '../ConversationsClient.js';
import { ConversationsError } from '../ConversationsError.js';
import { createMemoryStorage } from '../push/KeyValueStorage.js';
import { MediaService, resolveMediaOptions } from './MediaService.js';
import type { MediaHttpAnswer, MediaTransport, MediaUploadRequest } from './MediaTransport.js';

const TTL = 300_000;

/** A service over a scripted transport, in virtual time. */
function setup(transport: Partial<MediaTransport>, options: { url?: string; urlRenewLeadMs?: number } = {}) {
  const clock = createVirtualClock({ startTime: 1_000_000 });
  const closed$ = new AsyncSubject<void>();
  const full: MediaTransport = {
    upload: transport.upload ?? (() => Promise.reject(new Error('no upload here'))),
    get: transport.get ?? (() => Promise.reject(new Error('no get here'))),
  };
  const service = new MediaService(
    { url: 'wss://chat.example.com/socket', token: () => 'the-token', scheduler: clock.scheduler, closed$ },
    resolveMediaOptions({ transport: full, ...options }),
  );
  const shutdown = () => {
    closed$.next();
    closed$.complete();
  };
  return { clock, service, shutdown };
}

const signedAt = (now: number, n: number): MediaHttpAnswer => ({
  status: 200,
  body: { sid: 'ME1', url: `https://chat.example.com/v1/media/ME1/content?n=${n}`, expiresAt: now + TTL },
});

describe('MediaService: signed URLs (MEDIA-2)', () => {
  it('MEDIA-2: temporary URLs are asked with the token at the websocket origin, and renewed urlRenewLeadMs before expiry (virtual time)', async () => {
    const asked: { url: string; token: string }[] = [];
    const { clock, service } = setup(
      { get: ({ url, token }) => (asked.push({ url, token }), Promise.resolve(signedAt(clock.now(), asked.length))) },
      { urlRenewLeadMs: 20_000 },
    );
    const seen: string[] = [];
    const subscription = service.urls$('ME1').subscribe((u) => seen.push(u.url));
    await clock.tick(0);
    expect(asked).toEqual([{ url: 'https://chat.example.com/v1/media/ME1', token: 'the-token' }]);
    expect(seen).toEqual(['https://chat.example.com/v1/media/ME1/content?n=1']);

    await clock.tick(TTL - 20_000 - 1);
    expect(seen).toHaveLength(1);
    await clock.tick(1);
    expect(seen).toEqual(['https://chat.example.com/v1/media/ME1/content?n=1', 'https://chat.example.com/v1/media/ME1/content?n=2']);

    subscription.unsubscribe();
    await clock.tick(TTL * 3);
    expect(asked).toHaveLength(2);
  });

  it('MEDIA-2: a subscriber that takes the first URL and leaves (firstValueFrom, take(1)) leaves no renewal behind', async () => {
    let asked = 0;
    const { clock, service } = setup({ get: () => Promise.resolve(signedAt(clock.now(), ++asked)) });
    const first = firstValueFrom(service.urls$('ME1'));
    await clock.tick(0);
    expect((await first).url).toBe('https://chat.example.com/v1/media/ME1/content?n=1');
    // A timer left here would ask again (an HTTP request nobody reads) and keep a Node process alive for the URL's lifetime.
    expect(clock.pending).toBe(0);
    await clock.tick(TTL * 3);
    expect(asked).toBe(1);
  });

  it('MEDIA-2: the stream completes at shutdown, and a refusal errors it with the server\'s code', async () => {
    let refuse = false;
    const { clock, service, shutdown } = setup({
      get: () => Promise.resolve(refuse ? { status: 403, body: { code: 'not_a_participant', message: 'no' } } : signedAt(clock.now(), 1)),
    });
    let completed = false;
    service.urls$('ME1').subscribe({ complete: () => (completed = true) });
    await clock.tick(0);
    shutdown();
    expect(completed).toBe(true);

    refuse = true;
    await expect(service.urls('ME1')).rejects.toMatchObject({ code: 'not_a_participant' });
    await expect(service.urls('not-a-sid')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('MediaService: uploads (MEDIA-1)', () => {
  const upload = (service: MediaService, signal?: AbortSignal) => service.upload('CH1', 'key-1', signal);

  it('MEDIA-1: an upload goes to <origin>/v1/media with the conversation and file name in the query, the token apart', async () => {
    const requests: MediaUploadRequest[] = [];
    const { service } = setup({
      upload: (request) => {
        requests.push(request);
        request.onProgress(3);
        return Promise.resolve({ status: 201, body: { sid: `ME${requests.length}` } });
      },
    });
    const [view] = service.begin('key-1', [{ contentType: 'text/plain', filename: 'a b.txt', data: new Uint8Array([1, 2, 3]) }]);
    const progress: unknown[] = [];
    view!.progress$.subscribe((p) => progress.push(p));
    expect(await upload(service)).toEqual(['ME1']);
    expect(requests.map((r) => [r.url, r.token, r.contentType])).toEqual([['https://chat.example.com/v1/media?conversationSid=CH1&filename=a+b.txt', 'the-token', 'text/plain']]);
    // The transport's "all sent" is not "stored": the total shows only after the server's 201.
    expect(progress).toEqual([{ sent: 0, total: 3 }, { sent: 0, total: 3 }, { sent: 2, total: 3 }, { sent: 3, total: 3 }]);
  });

  it("MEDIA-1: a refusal carries the server's code; an answer without one, or none at all, is media_request_failed", async () => {
    const answers: (() => Promise<MediaHttpAnswer>)[] = [
      () => Promise.resolve({ status: 415, body: { code: 'media_type_mismatch', message: 'not a PNG' } }),
      () => Promise.resolve({ status: 502, body: null }),
      () => Promise.reject(new TypeError('Failed to fetch')),
    ];
    const { service } = setup({ upload: () => answers.shift()!() });
    service.begin('key-1', [{ contentType: 'image/png', data: new Uint8Array([1]) }]);
    for (const [code, retryable] of [['media_type_mismatch', false], ['media_request_failed', true], ['media_request_failed', true]] as const) {
      const error = await upload(service).then(() => null, (e: unknown) => e as ConversationsError);
      expect(error).toBeInstanceOf(ConversationsError);
      expect([error!.code, error!.retryable]).toEqual([code, retryable]);
    }
  });

  it('MEDIA-1: the signal and shutdown both abort an upload in flight with media_upload_aborted', async () => {
    const { service, shutdown } = setup({
      upload: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    service.begin('key-1', [{ contentType: 'text/plain', data: new Uint8Array([1]) }]);
    const controller = new AbortController();
    const first = upload(service, controller.signal);
    controller.abort();
    // Retryable: retry() resumes it.
    await expect(first).rejects.toMatchObject({ code: 'media_upload_aborted', retryable: true });
    await expect(upload(service, controller.signal)).rejects.toMatchObject({ code: 'media_upload_aborted' });

    const second = upload(service);
    shutdown();
    await expect(second).rejects.toMatchObject({ code: 'media_upload_aborted' });
  });
});

describe('createMediaSupport options', () => {
  it('MEDIA-1: bad options are a TypeError at once; url overrides the origin (a proxy), keeping its path', () => {
    expect(() => resolveMediaOptions({ transport: {} as MediaTransport })).toThrow(TypeError);
    expect(() => resolveMediaOptions({ urlRenewLeadMs: -1 })).toThrow(TypeError);
    expect(() => resolveMediaOptions({ url: 'ftp://files' })).toThrow(TypeError);
    expect(resolveMediaOptions({ url: 'https://proxy.example.com/chat/' }).origin).toBe('https://proxy.example.com/chat');
    expect(resolveMediaOptions({ url: 'ws://127.0.0.1:8080/' }).origin).toBe('http://127.0.0.1:8080');
  });

  it('MEDIA-1: a client given something else as options.media throws a TypeError; one without media says what to add', async () => {
    expect(() => new ConversationsClient(new FakeCore(), { media: {} as never, storage: createMemoryStorage() }, 'core')).toThrow(/createMediaSupport/);
    const client = new ConversationsClient(new FakeCore(), { storage: createMemoryStorage() }, 'core');
    expect(() => client.conversation('CH1').sendMessage({ media: [{ contentType: 'text/plain', data: new Uint8Array([1]) }] })).toThrow(/createMediaSupport/);
    await client.shutdown();
  });
});
