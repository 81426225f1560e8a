/** What an attachment's bytes may be given as (MEDIA-1). A stream is read once, into memory, before its upload. */
export type MediaData = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * One attachment of `sendMessage({ media })` (MEDIA-1).
 *
 * @example
 * await conversation.sendMessage({
 *   body: 'the plan',
 *   media: [{ contentType: 'image/png', filename: 'plan.png', data: file }],
 * });
 */
export interface MediaInput {
  /** The file's type; the server checks it against the bytes (`media_type_mismatch`). */
  readonly contentType: string;
  /** Shown to the others and used on download; at most 255 characters, no slashes. */
  readonly filename?: string;
  /** The bytes. */
  readonly data: MediaData;
}

/** Signed, expiring URLs of one media (MEDIA-2); they carry no token, so an `<img src>` can use them. */
export interface TemporaryMediaUrls {
  /** The file itself (range requests work, for seeking in video). */
  readonly url: string;
  /** A small WebP of an image; null for other files. */
  readonly previewUrl: string | null;
  /** When both URLs stop working, epoch ms (server time). */
  readonly expiresAt: number;
}
