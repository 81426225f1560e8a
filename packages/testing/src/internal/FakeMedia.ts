import type { ErrorCode } from '@rx-conversations/protocol';
import { mediaOps, runSync, ServerError, type Core } from '@rx-conversations/server-core';
import type { FakeMediaTransport } from '../FakeMediaTransport.js';
import type { TokenReading } from './readToken.js';

/** How the fake answers media requests: HTTP statuses as the real server's (docs/server.md, Media). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  not_a_participant: 403,
  conversation_not_found: 404,
  media_not_found: 404,
  not_found: 404,
  media_length_required: 411,
  media_too_large: 413,
};

/** Large enough for any test, like the real server's default (100 MiB). */
const MAX_BYTES = 100 * 1024 * 1024;
const URL_TTL_MS = 300_000;
const GRACE_MS = 3_600_000;
const MEDIA_PATH = /^\/v1\/media(?:\/(ME[0-9a-zA-Z]{1,64})(?:\/(content|preview))?)?$/;

/** What the fake needs from its server. */
export interface FakeMediaHost {
  readonly core: Core;
  readonly httpUrl: string;
  /** Whether `url` reaches this server now (its host, and the network not down). */
  reachable(url: URL): boolean;
  checkToken(token: string | undefined): TokenReading;
}

const answer = (status: number, body: unknown) => ({ status, body });
const refusal = (code: ErrorCode, message: string) => answer(STATUS[code] ?? (code.startsWith('token_') ? 401 : 500), { code, message });

/**
 * The media endpoints of the fake server, in process (MEDIA-1, MEDIA-2): uploads are authorised,
 * recorded and attached by the real core (`mediaOps`, `messages.send` with `mediaSids`); the bytes stay
 * in memory. Unlike the real server, it does not check the bytes against the declared type and makes
 * no previews.
 */
export class FakeMedia {
  /** The stored bytes, by media sid. */
  readonly bytes = new Map<string, Uint8Array>();
  readonly transport: FakeMediaTransport;

  constructor(private readonly host: FakeMediaHost) {
    this.transport = {
      upload: (request) => this.upload(request),
      get: (request) => this.urls(request.url, request.token),
    };
  }

  /** The bytes of `GET <httpUrl>/v1/media/{sid}/content?…` (what `fake.fetch` serves), or undefined. */
  content(url: URL): Uint8Array | undefined {
    const match = MEDIA_PATH.exec(url.pathname);
    if (match?.[1] === undefined || match[2] !== 'content' || Number(url.searchParams.get('expires')) * 1000 < this.host.core.clock()) return undefined;
    return this.bytes.get(match[1]);
  }

  private async upload(request: Parameters<FakeMediaTransport['upload']>[0]) {
    const url = new URL(request.url);
    if (!this.host.reachable(url)) throw new TypeError('Failed to fetch');
    if (request.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    if (url.pathname !== '/v1/media') return refusal('not_found', 'no such media endpoint');
    const reading = this.host.checkToken(request.token);
    if (!reading.ok) return refusal(reading.code, 'the token was refused');
    const bytes = request.body instanceof Uint8Array ? request.body.slice() : new Uint8Array(await request.body.arrayBuffer());
    if (bytes.length === 0) return refusal('media_length_required', 'an upload must declare its size in Content-Length');
    if (bytes.length > MAX_BYTES) return refusal('media_too_large', `uploads are limited to ${MAX_BYTES} bytes`);
    const conversationSid = url.searchParams.get('conversationSid') ?? '';
    const core = this.host.core;
    return this.run(() => {
      runSync(mediaOps.authorizeUpload(core, reading.identity, conversationSid, bytes.length, Infinity, 0));
      request.onProgress(bytes.length);
      const sid = core.newSid('ME');
      const upload = { sid, conversationSid, author: reading.identity, contentType: request.contentType, filename: url.searchParams.get('filename'), size: bytes.length, preview: null };
      const media = runSync(mediaOps.recordUpload(core, upload, Infinity, GRACE_MS));
      this.bytes.set(sid, bytes);
      return answer(201, { ...media, conversationSid });
    });
  }

  private async urls(target: string, token: string) {
    const url = new URL(target);
    if (!this.host.reachable(url)) throw new TypeError('Failed to fetch');
    const sid = MEDIA_PATH.exec(url.pathname)?.[1];
    if (sid === undefined) return refusal('not_found', 'no such media endpoint');
    const reading = this.host.checkToken(token);
    if (!reading.ok) return refusal(reading.code, 'the token was refused');
    return this.run(() => {
      const media = runSync(mediaOps.mediaFor(this.host.core, reading.identity, sid));
      const expires = Math.ceil((this.host.core.clock() + URL_TTL_MS) / 1000);
      return answer(200, { ...media, url: `${this.host.httpUrl}/v1/media/${sid}/content?expires=${expires}&signature=fake`, expiresAt: expires * 1000 });
    });
  }

  private run(work: () => { status: number; body: unknown }) {
    try {
      return work();
    } catch (error) {
      if (error instanceof ServerError) return refusal(error.code, error.message);
      throw error;
    }
  }
}
