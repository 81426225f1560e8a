import type { Observable, SchedulerLike } from 'rxjs';
import type { LocalMedia } from '../MessageView.js';
import type { MediaInput, TemporaryMediaUrls } from './MediaInput.js';

/** What the client gives its media support when it starts. */
export interface MediaContext {
  /** The websocket URL, whose origin the media endpoints share by default. */
  readonly url: string | undefined;
  /** The current access token. */
  token(): string;
  /** The client's scheduler: URL renewals run on it. */
  readonly scheduler: SchedulerLike;
  /** Emits and completes when the client shuts down. */
  readonly closed$: Observable<void>;
}

/** One client's media, started by {@link MediaSupport}: its uploads in progress and its URL requests. */
export interface MediaRuntime {
  /** Checks the attachments (a `TypeError` for misuse) and starts tracking them under the message's key. */
  begin(key: string, inputs: unknown): readonly LocalMedia[];
  /** The attachments of the optimistic message with this key, if it has any. */
  viewsOf(key: string): readonly LocalMedia[] | undefined;
  /** Uploads what the server does not hold yet; resolves with every media sid, in order. */
  upload(conversationSid: string, key: string, signal: AbortSignal | undefined): Promise<string[]>;
  /** The message is sent: its attachments' progress completes. */
  finish(key: string): void;
  /** Signed URLs of a stored media. */
  urls(mediaSid: string): Promise<TemporaryMediaUrls>;
  /** Signed URLs of a stored media, renewed before they expire while subscribed. */
  urls$(mediaSid: string): Observable<TemporaryMediaUrls>;
}

/**
 * Media support for the client (MEDIA-1, MEDIA-2), made by `createMediaSupport()` from
 * `@rx-conversations/client/media` and given as `options.media`. A separate entry point, so apps that
 * send no files do not carry the upload code (PERF-7).
 *
 * @example
 * import { createMediaSupport } from '@rx-conversations/client/media';
 * const client = new ConversationsClient(token, { url: 'wss://chat.example.com', media: createMediaSupport() });
 */
export interface MediaSupport {
  /** Called once by the client's constructor. */
  start(context: MediaContext): MediaRuntime;
}
