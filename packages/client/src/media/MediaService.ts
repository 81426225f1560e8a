import { BehaviorSubject, Observable, type Subscription } from 'rxjs';
import { isErrorCode, type Media } from '@rx-conversations/protocol';
import { ConversationsError } from '../ConversationsError.js';
import type { LocalMedia, MediaProgress } from '../MessageView.js';
import type { MediaInput, TemporaryMediaUrls } from './MediaInput.js';
import type { MediaContext, MediaRuntime } from './MediaSupport.js';
import type { MediaHttpAnswer, MediaOptions, MediaTransport } from './MediaTransport.js';
import { httpMediaTransport } from './httpMediaTransport.js';
import { checkMediaInputs, sizeOf, uploadBody } from './uploadBody.js';

const DEFAULT_RENEW_LEAD_MS = 30_000;
/** A renewed URL is asked for no sooner than this after the last (a skewed clock must not spin). */
const MIN_RENEW_MS = 1_000;

/** One attachment on its way: what the view shows, and what retry() needs. */
interface Attachment {
  readonly input: MediaInput;
  readonly progress: BehaviorSubject<MediaProgress>;
  readonly view: LocalMedia;
  body: Promise<Blob | Uint8Array> | null;
  /** Set once the server stored it: retry() does not upload it again. */
  sid: string | null;
}

const refusal = (answer: MediaHttpAnswer, what: string): ConversationsError => {
  const body = answer.body as { code?: unknown; message?: unknown } | null;
  const code = isErrorCode(body?.code) ? body.code : 'media_request_failed';
  return new ConversationsError(code, typeof body?.message === 'string' ? body.message : `${what}: HTTP ${answer.status}`);
};

/** {@link MediaOptions} checked, with defaults. */
export interface ResolvedMediaOptions {
  /** The origin the app gave; undefined: the websocket URL's. */
  readonly origin: string | undefined;
  readonly transport: MediaTransport;
  readonly urlRenewLeadMs: number;
}

/** Checks `options.media`'s settings (`TypeError` for misuse) and applies defaults. */
export function resolveMediaOptions(options: MediaOptions): ResolvedMediaOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('createMediaSupport: options must be an object');
  const { transport = httpMediaTransport, urlRenewLeadMs = DEFAULT_RENEW_LEAD_MS, url } = options;
  if (typeof transport?.upload !== 'function' || typeof transport.get !== 'function') {
    throw new TypeError('createMediaSupport: options.transport must have upload and get functions');
  }
  if (typeof urlRenewLeadMs !== 'number' || !(urlRenewLeadMs >= 0) || !Number.isFinite(urlRenewLeadMs)) {
    throw new TypeError('createMediaSupport: options.urlRenewLeadMs must be a non-negative number of milliseconds');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^(https?|wss?):\/\//.test(url))) throw new TypeError('createMediaSupport: options.url must be an http(s) URL');
  return { origin: url === undefined ? undefined : originOf(url), transport, urlRenewLeadMs };
}

/**
 * The client's media (MEDIA-1, MEDIA-2): uploads of optimistic messages, with their progress kept
 * beside the store (a map keyed by the message's idempotency key, so progress costs no reducer run),
 * and the signed URLs of stored media.
 */
export class MediaService implements MediaRuntime {
  private readonly sending = new Map<string, Attachment[]>();
  private readonly inFlight = new Set<AbortController>();
  private readonly transport: MediaTransport;
  private readonly base: string | undefined;
  private readonly renewLeadMs: number;

  constructor(
    private readonly context: MediaContext,
    options: ResolvedMediaOptions,
  ) {
    this.transport = options.transport;
    this.renewLeadMs = options.urlRenewLeadMs;
    this.base = options.origin ?? (context.url === undefined ? undefined : originOf(context.url));
    context.closed$.subscribe({ complete: () => this.abortAll() });
  }

  /** Starts tracking the attachments of the message sent with `key`; returns their views. */
  begin(key: string, media: unknown): readonly LocalMedia[] {
    const attachments = checkMediaInputs(media).map((input): Attachment => {
      const size = sizeOf(input.data);
      const progress = new BehaviorSubject<MediaProgress>({ sent: 0, total: size });
      const view: LocalMedia = Object.freeze({ contentType: input.contentType, filename: input.filename ?? null, size, progress$: progress.asObservable() });
      return { input, progress, view, body: null, sid: null };
    });
    this.sending.set(key, attachments);
    return attachments.map((a) => a.view);
  }

  /** The views of the attachments of the message sent with `key`, if it has any. */
  viewsOf(key: string): readonly LocalMedia[] | undefined {
    return this.sending.get(key)?.map((a) => a.view);
  }

  /**
   * Uploads, one after the other, those attachments of `key` the server does not hold yet; resolves
   * with every sid in order. `signal` cancels (`media_upload_aborted`).
   */
  async upload(conversationSid: string, key: string, signal: AbortSignal | undefined): Promise<string[]> {
    const attachments = this.sending.get(key) ?? [];
    for (const a of attachments) {
      if (a.sid !== null) continue;
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      if (signal?.aborted === true) throw aborted();
      signal?.addEventListener('abort', onAbort);
      this.inFlight.add(controller);
      try {
        a.body ??= uploadBody(a.input.data);
        const body = await a.body.catch((cause: unknown) => {
          a.body = null;
          throw new ConversationsError('media_request_failed', 'reading the attachment\'s stream failed', { cause });
        });
        const total = body instanceof Uint8Array ? body.byteLength : body.size;
        a.progress.next({ sent: 0, total });
        if (controller.signal.aborted) throw aborted();
        const query = new URLSearchParams({ conversationSid });
        if (a.input.filename !== undefined) query.set('filename', a.input.filename);
        let answer: MediaHttpAnswer;
        try {
          answer = await this.transport.upload({
            url: `${this.origin()}/v1/media?${query}`,
            token: this.context.token(),
            contentType: a.input.contentType,
            body,
            signal: controller.signal,
            // The last byte is not "stored": the total shows only once the server answered 201.
            onProgress: (sent) => a.progress.next({ sent: Math.min(sent, total - 1), total }),
          });
        } catch (cause) {
          if (controller.signal.aborted) throw aborted(cause);
          throw new ConversationsError('media_request_failed', `the upload got no answer: ${(cause as Error).message}`, { cause });
        }
        const sid = (answer.body as Partial<Media> | null)?.sid;
        if (answer.status !== 201 || typeof sid !== 'string') throw refusal(answer, 'the upload was refused');
        a.sid = sid;
        a.progress.next({ sent: total, total });
      } finally {
        signal?.removeEventListener('abort', onAbort);
        this.inFlight.delete(controller);
      }
    }
    return attachments.map((a) => a.sid!);
  }

  /** The message sent with `key` is in the store: its progress streams complete. */
  finish(key: string): void {
    for (const a of this.sending.get(key) ?? []) a.progress.complete();
    this.sending.delete(key);
  }

  /** Signed URLs of a stored media, valid for the server's `urlTtlMs` (MEDIA-2). */
  async urls(mediaSid: string): Promise<TemporaryMediaUrls> {
    if (typeof mediaSid !== 'string' || !/^ME[0-9a-zA-Z]{1,64}$/.test(mediaSid)) throw new ConversationsError('invalid_argument', 'mediaSid must be a media sid (ME…)');
    let answer: MediaHttpAnswer;
    try {
      answer = await this.transport.get({ url: `${this.origin()}/v1/media/${mediaSid}`, token: this.context.token() });
    } catch (cause) {
      throw new ConversationsError('media_request_failed', `the media URL request got no answer: ${(cause as Error).message}`, { cause });
    }
    if (answer.status !== 200) throw refusal(answer, 'the media URL request was refused');
    const body = answer.body as { url: string; previewUrl?: string; expiresAt: number };
    return Object.freeze({ url: body.url, previewUrl: body.previewUrl ?? null, expiresAt: body.expiresAt });
  }

  /** {@link urls}, asked again `urlRenewLeadMs` before each expiry, until unsubscribed or shut down. */
  urls$(mediaSid: string): Observable<TemporaryMediaUrls> {
    const { scheduler, closed$ } = this.context;
    // By hand rather than defer/expand/timer: those pull rxjs's `innerFrom` and tslib (~2 KB gzip) into the bundle (PERF-7).
    return new Observable<TemporaryMediaUrls>((subscriber) => {
      let renewal: Subscription | undefined;
      const ask = (): void => {
        this.urls(mediaSid).then((u) => {
          if (subscriber.closed) return;
          subscriber.next(u);
          // next() may have ended the subscription (take(1), firstValueFrom, a shutdown from the
          // handler), and its teardown ran before this renewal existed: scheduling it now would leak it.
          if (subscriber.closed) return;
          renewal = scheduler.schedule(ask, Math.max(MIN_RENEW_MS, u.expiresAt - scheduler.now() - this.renewLeadMs));
        }, (error: unknown) => subscriber.error(error));
      };
      subscriber.add(closed$.subscribe({ complete: () => subscriber.complete() }));
      subscriber.add(() => renewal?.unsubscribe());
      if (!subscriber.closed) ask();
    });
  }

  private origin(): string {
    if (this.base === undefined) throw new ConversationsError('invalid_argument', 'no media URL: give options.media.url');
    return this.base;
  }

  private abortAll(): void {
    for (const c of this.inFlight) c.abort();
  }
}

function aborted(cause?: unknown): ConversationsError {
  return new ConversationsError('media_upload_aborted', 'the upload was cancelled', { cause });
}

/** `ws://host/path` → `http://host`; `https://proxy/base/` → `https://proxy/base`. */
function originOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:' || u.protocol === 'wss:') return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError('createMediaSupport: options.url must be an http(s) URL');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}
